// What the numbers were measured on.
import os from 'node:os';

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
    date: new Date().toISOString(),
    shared:
      'The machine is shared with other users (2 cores); absolute times carry that noise, ' +
      'ratios are measured side by side in the same run to cancel most of it.',
  };
}
