#!/usr/bin/env node
// Reads the sanitizer logs of a `npm run test:asan` run (one file per process) and decides.
//
// Fails on:
//   - any AddressSanitizer or UndefinedBehaviorSanitizer error, in any process (memory corruption
//     seen in Node's frames can still be ours, so none is waved through);
//   - any LeakSanitizer leak allocated by weakwire: by our code directly, or by a Node-API call
//     our code made (a napi_ref we never deleted is our leak too).
// Other leaks are Node's, V8's or a tool's own, even when weakwire is further down the stack
// (V8 allocating remembered sets while a destructor callback runs JavaScript): counted, not failed.
// Usage: node scripts/asan-report.js <log dir>
'use strict';
const fs = require('node:fs');
const path = require('node:path');

// A frame is ours if it is in our binary, our namespace or our sources.
const OURS = /weakwire\.node|weakwire::|src\/native\//;
// Frames that allocate on someone else's behalf: the allocator, the standard library and the
// Node-API layer. Walking up from the allocation, these are looked through.
const ALLOCATOR = / in (operator new|operator delete|__interceptor_|malloc|calloc|realloc|posix_memalign|aligned_alloc|strdup)/;
const STD = / in (void |[\w:<>*& ]+ )?(std::|__gnu_cxx::)/;
const NODE_API = / in (napi_|node_api_|v8impl::)/;

function allocatedByUs(frames) {
  for (const frame of frames) {
    if (OURS.test(frame)) return true;
    if (ALLOCATOR.test(frame) || STD.test(frame) || NODE_API.test(frame)) continue;
    return false;
  }
  return false;
}

function splitReports(text) {
  // Each report starts with a line of '=' then "==pid==ERROR: ...", or "...: runtime error: ..."
  const reports = [];
  const lines = text.split('\n');
  let current = null;
  for (const line of lines) {
    const error = /==\d+==ERROR: (\w+Sanitizer): (.*)/.exec(line);
    const ub = /: runtime error: /.test(line);
    if (error || ub) {
      current = { kind: error ? error[1] : 'UndefinedBehaviorSanitizer', title: error ? error[2] : line.trim(), lines: [] };
      reports.push(current);
    }
    if (current) current.lines.push(line);
  }
  return reports;
}

// A LeakSanitizer report holds many leaks; judge each one by its own stack.
function splitLeaks(report) {
  const leaks = [];
  let current = null;
  for (const line of report.lines) {
    if (/^(Direct|Indirect) leak of/.test(line)) {
      current = { head: line, frames: [] };
      leaks.push(current);
    } else if (current && /^\s+#\d+ /.test(line)) {
      current.frames.push(line);
    } else if (current && line.trim() === '') {
      current = null;
    }
  }
  return leaks;
}

function main() {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node scripts/asan-report.js <log dir>');
    process.exit(2);
  }
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
  let failures = 0;
  let foreignLeaks = 0;
  const foreignSites = new Map();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const report of splitReports(text)) {
      if (report.kind === 'LeakSanitizer') {
        for (const leak of splitLeaks(report)) {
          if (allocatedByUs(leak.frames)) {
            failures++;
            console.error(`\n[asan] LEAK IN WEAKWIRE (${path.basename(file)}): ${leak.head}`);
            console.error(leak.frames.join('\n'));
          } else {
            foreignLeaks++;
            // Name the leak by its first frame past the allocator, for the summary.
            const site = (leak.frames[1] || leak.frames[0] || '?').replace(/^\s*#\d+ 0x[0-9a-f]+ in /, '');
            foreignSites.set(site, (foreignSites.get(site) || 0) + 1);
          }
        }
      } else {
        failures++;
        const ours = report.lines.some((l) => OURS.test(l)) ? ' (weakwire frames)' : '';
        console.error(`\n[asan] ${report.kind}${ours} in ${path.basename(file)}: ${report.title}`);
        console.error(report.lines.slice(0, 80).join('\n'));
      }
    }
  }
  const sites = [...foreignSites].sort((a, b) => b[1] - a[1]);
  for (const [site, count] of sites.slice(0, 10)) console.log(`[asan] not ours: ${count} x ${site.slice(0, 160)}`);
  console.log(
    `[asan] ${files.length} log file(s); ${failures} report(s) failing; ${foreignLeaks} leak(s) outside weakwire`,
  );
  process.exit(failures > 0 ? 1 : 0);
}

main();
