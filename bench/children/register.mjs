// One fresh process: the register case's rounds (bench/cases/register.mjs), printed as one JSON
// line of per-operation medians per task and round.
import { registerCase } from '../cases/register.mjs';

const [rounds, time] = process.argv.slice(2).map(Number);
const result = await registerCase({ rounds, time });
console.log(JSON.stringify(Object.fromEntries(Object.entries(result).map(([name, r]) => [name, r.perOpNs]))));
// weak-napi keeps native state that can crash at teardown (see bench/run.mjs).
process.exit(0);
