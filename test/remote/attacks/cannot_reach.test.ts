/**
 * docs/security.md: a hostile peer cannot read your file system layout from error answers:
 * stacks are redacted by default (function and file names with line numbers, no directories),
 * whatever kind of frame V8 prints. The frames below are V8's formats as Node prints them (jest
 * rewrites the stacks of code it runs, so they are written out rather than thrown here).
 */
import { outgoingStack } from '../../../src/ts/remote/codec/stacks';

const redacted = (frames: string[]): string[] =>
  (outgoingStack(['Error: boom', ...frames].join('\n'), 'redacted') as string).split('\n');

test('frames of named functions keep their file name and position only (as before)', () => {
  expect(redacted(['    at save (/srv/app/store.js:3:9)', '    at new Store (/srv/app/store.js:1:1)'])).toEqual([
    '    at save (store.js:3:9)',
    '    at new Store (store.js:1:1)',
  ]);
});

test('frames of anonymous async functions show no directory', () => {
  expect(redacted(['    at async /srv/app/routes.js:4:42', '    at async Promise.all (index 0)'])).toEqual([
    '    at async routes.js:4:42',
    '    at async Promise.all (index 0)',
  ]);
});

test('frames of eval and new Function code show no directory where the code was made', () => {
  expect(
    redacted([
      '    at eval (eval at load (/srv/app/plugins.js:5:9), <anonymous>:1:20)',
      '    at eval (eval at <anonymous> (eval at load (/srv/app/plugins.js:5:9)), <anonymous>:2:1)',
    ]),
  ).toEqual([
    '    at eval (eval at load (plugins.js:5:9), <anonymous>:1:20)',
    '    at eval (eval at <anonymous> (eval at load (plugins.js:5:9)), <anonymous>:2:1)',
  ]);
});

test('file URLs, Windows paths and directories with parentheses show no directory', () => {
  expect(
    redacted([
      '    at async file:///srv/app/main.mjs:2:3',
      '    at run (C:\\Users\\me\\app\\main.js:7:1)',
      '    at run (/home/me/projects (old)/app/main.js:7:1)',
    ]),
  ).toEqual(['    at async main.mjs:2:3', '    at run (main.js:7:1)', '    at run (main.js:7:1)']);
});
