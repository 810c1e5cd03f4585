'use strict';
/**
 * What a built addon is, read from the file itself: format, architecture, the libraries it needs,
 * the newest glibc / libstdc++ symbol versions it asks for, and whether it exports the Node-API
 * module entry. Binaries that cannot be run here are at least checked to be what their prebuilds/
 * folder name claims. ELF and PE are read with binutils (readelf, MinGW objdump); Mach-O, which
 * no installed tool reads, from its load commands.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');

const ENTRY = 'napi_register_module_v1';

/** Highest dotted version among `PREFIX_x.y.z` names. */
function newestVersion(names, prefix) {
  const versions = names
    .filter((name) => name.startsWith(`${prefix}_`))
    .map((name) => name.slice(prefix.length + 1))
    .filter((version) => /^\d+(\.\d+)*$/.test(version));
  const compare = (a, b) => {
    const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  };
  return versions.sort(compare).pop();
}

function elf(file) {
  const text = execFileSync('readelf', ['-h', '-d', '-V', '--dyn-syms', '-W', file], { encoding: 'utf8' });
  const machine = /Machine:\s+(.+)/.exec(text)[1].trim();
  const needs = [...text.matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)].map((match) => match[1]);
  const versionNames = [...text.matchAll(/Name: (\S+)\s+Flags/g)].map((match) => match[1]);
  const exported = text
    .split('\n')
    .some((line) => /\bFUNC\s+GLOBAL\s+DEFAULT\s+\d+\s/.test(line) && line.trim().endsWith(` ${ENTRY}`));
  return {
    format: 'ELF',
    arch: { AArch64: 'arm64', 'Advanced Micro Devices X86-64': 'x64' }[machine] ?? machine,
    needs,
    glibc: newestVersion(versionNames, 'GLIBC'),
    glibcxx: newestVersion(versionNames, 'GLIBCXX'),
    exportsEntry: exported,
  };
}

function pe(file) {
  const text = execFileSync('x86_64-w64-mingw32-objdump', ['-p', file], { encoding: 'utf8' });
  const format = /file format (\S+)/.exec(text)[1];
  const needs = [...text.matchAll(/DLL Name: (\S+)/g)].map((match) => match[1]);
  // GNU objdump does not list delay imports; the DLL name is in the delay-import directory's strings.
  if (fs.readFileSync(file).includes(Buffer.from('NODE.EXE\0'))) needs.push('NODE.EXE (delay-loaded)');
  const exportTable = text.slice(text.indexOf('[Ordinal/Name Pointer] Table'));
  return {
    format: 'PE',
    arch: { 'pei-x86-64': 'x64', 'pei-aarch64-little': 'arm64' }[format] ?? format,
    needs,
    exportsEntry: text.includes('[Ordinal/Name Pointer] Table') && exportTable.includes(` ${ENTRY}\n`),
  };
}

const MACHO_CPU = { 0x01000007: 'x64', 0x0100000c: 'arm64' };
const LC_LOAD_DYLIB = 0xc;
const LC_SYMTAB = 0x2;
const LC_VERSION_MIN_MACOSX = 0x24;
const LC_BUILD_VERSION = 0x32;
const LC_CODE_SIGNATURE = 0x1d;

function macho(file) {
  const data = fs.readFileSync(file);
  const cpu = data.readUInt32LE(4);
  const count = data.readUInt32LE(16);
  const needs = [];
  let minimumOS;
  let signed = false;
  let exported = false;
  const version = (packed) => `${packed >>> 16}.${(packed >>> 8) & 0xff}`;
  for (let i = 0, offset = 32; i < count; i++) {
    const command = data.readUInt32LE(offset);
    const size = data.readUInt32LE(offset + 4);
    if (command === LC_LOAD_DYLIB) {
      const name = data.subarray(offset + data.readUInt32LE(offset + 8), offset + size);
      needs.push(name.subarray(0, name.indexOf(0)).toString());
    } else if (command === LC_BUILD_VERSION) {
      minimumOS = version(data.readUInt32LE(offset + 12));
    } else if (command === LC_VERSION_MIN_MACOSX) {
      minimumOS = version(data.readUInt32LE(offset + 8));
    } else if (command === LC_CODE_SIGNATURE) {
      signed = true;
    } else if (command === LC_SYMTAB) {
      const [symbols, symbolCount, strings] = [8, 12, 16].map((at) => data.readUInt32LE(offset + at));
      for (let s = 0; s < symbolCount; s++) {
        const entry = symbols + s * 16;
        const type = data[entry + 4];
        const name = data.subarray(strings + data.readUInt32LE(entry)).toString('latin1').split('\0', 1)[0];
        // N_EXT with N_SECT: an exported definition.
        if (name === `_${ENTRY}` && (type & 0x01) && (type & 0x0e) === 0x0e) exported = true;
      }
    }
    offset += size;
  }
  return { format: 'Mach-O', arch: MACHO_CPU[cpu] ?? `cpu ${cpu.toString(16)}`, needs, minimumOS, signed, exportsEntry: exported };
}

/** Facts about one binary, plus a one-line summary. */
function describe(file) {
  const magic = fs.readFileSync(file).subarray(0, 4);
  let facts;
  if (magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) facts = elf(file);
  else if (magic.subarray(0, 2).toString('latin1') === 'MZ') facts = pe(file);
  else if (magic.readUInt32LE(0) === 0xfeedfacf) facts = macho(file);
  else throw new Error(`${file}: not an ELF, PE or 64-bit Mach-O file`);
  const parts = [`${facts.format} ${facts.arch}`];
  if (facts.glibc) parts.push(`glibc ≥ ${facts.glibc}`);
  if (facts.glibcxx) parts.push(`GLIBCXX ≥ ${facts.glibcxx}`);
  if (facts.minimumOS) parts.push(`macOS ≥ ${facts.minimumOS}`);
  parts.push(`needs ${facts.needs.join(', ') || 'nothing'}`);
  return { ...facts, size: fs.statSync(file).size, summary: parts.join(', ') };
}

/** What is wrong with `facts` for `target` (empty when nothing is). */
function check(target, facts) {
  const problems = [];
  const format = { linux: 'ELF', win32: 'PE', darwin: 'Mach-O' }[target.platform];
  if (facts.format !== format) problems.push(`${facts.format}, not ${format}`);
  if (facts.arch !== target.arch) problems.push(`built for ${facts.arch}, not ${target.arch}`);
  if (!facts.exportsEntry) problems.push(`${ENTRY} is not exported`);
  if (target.libc === 'glibc' && !facts.needs.some((name) => /^libc\.so\.6$/.test(name))) problems.push('not linked to glibc');
  if (target.libc === 'musl' && (facts.glibc || facts.needs.some((name) => /^libc\.so\.6$/.test(name)))) {
    problems.push('linked to glibc');
  }
  if (target.platform === 'win32') {
    const foreign = facts.needs.filter((name) => /^lib(stdc\+\+|gcc|winpthread)/i.test(name));
    if (foreign.length > 0) problems.push(`needs MinGW DLLs: ${foreign.join(', ')}`);
    if (!facts.needs.includes('NODE.EXE (delay-loaded)')) problems.push('does not delay-load Node-API from NODE.EXE');
  }
  if (target.platform === 'darwin' && target.arch === 'arm64' && !facts.signed) {
    problems.push('no code signature (macOS on Apple silicon refuses unsigned code)');
  }
  return problems;
}

module.exports = { describe, check };
