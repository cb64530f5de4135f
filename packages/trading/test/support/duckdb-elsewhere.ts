/**
 * Another process touching a DuckDB file, as an outside reader would: DuckDB lets one process
 * hold a file at a time, so these show whether (and when) the file is free.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';

/** COUNT(*) of trading_metrics from another process (open read-write, count, close), or the error text. */
export function countElsewhere(path: string): number | string {
  const script = `const {DuckDBInstance}=require('@duckdb/node-api');(async()=>{const i=await DuckDBInstance.create(process.argv[1]);const c=await i.connect();const r=await c.runAndReadAll('SELECT count(*) FROM trading_metrics');console.log(String(r.getRows()[0][0]));c.closeSync();i.closeSync();})().catch(e=>{console.log('ERR '+e.message);});`;
  const r = spawnSync(process.execPath, ['-e', script, path], { encoding: 'utf8' });
  const out = r.stdout.trim();
  return out.startsWith('ERR') ? out : Number(out);
}

/** Another process that opens `path` read-write and holds it until its stdin closes. */
export async function holdElsewhere(path: string): Promise<ChildProcess> {
  const script = `const {DuckDBInstance}=require('@duckdb/node-api');(async()=>{const i=await DuckDBInstance.create(process.argv[1]);console.log('held');process.stdin.resume();process.stdin.on('end',()=>{i.closeSync();process.exit(0);});})();`;
  const child = spawn(process.execPath, ['-e', script, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      if (String(d).includes('held')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`holder exited (${code})`)));
  });
  return child;
}
