// What the numbers were measured on.
import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * Linux's TCP congestion control for new connections, or undefined elsewhere. Under `bbr` the
 * kernel paces each connection at its own bandwidth estimate, which moves the TCP cases' ratios
 * (bench/NOTES.md, "TCP 1 MB: why our socket write cost more than raw's writev").
 */
function tcpCongestionControl() {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    napi: process.versions.napi,
    platform: `${process.platform}-${process.arch}`,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    tcpCongestionControl: tcpCongestionControl(),
    date: new Date().toISOString(),
    shared:
      'The machine is shared with other users (2 cores); absolute times carry that noise, ' +
      'ratios are measured side by side in the same run to cancel most of it.',
  };
}
