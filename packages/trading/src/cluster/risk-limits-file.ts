/**
 * The central risk manager's limits on disk (`<dataDir>/risk-limits.json`), so that a
 * `PUT /limits` survives a restart of its process: written to a temporary file, fsynced,
 * renamed over the old one and the directory fsynced (a crash leaves the old limits or the
 * new ones, never a torn file). Read and validated at start.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { InstrumentTable } from '@tickstorm/protocol';
import { makeDir } from '@tickstorm/protocol';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { notARegularFile } from '../persistence/data-file-access.ts';
import { type RiskLimits, validateRiskLimits } from '../risk/risk-limits.ts';
import { fsyncDir } from '../sequencing/input-log-writer.ts';

export const RISK_LIMITS_FILE = 'risk-limits.json';

export function riskLimitsPath(dir: string): string {
  return join(dir, RISK_LIMITS_FILE);
}

/**
 * The limits saved in `dir` (validated against `instruments`), or null when none were saved. A
 * file that is not JSON limits (emptied, edited by hand) refuses the start with
 * TRD_ERR_LOG_CORRUPT naming the file, never a bare parse error; one that is not a regular
 * file (a directory, a FIFO) TRD_ERR_INVALID_CONFIG naming it.
 */
export function readRiskLimitsFile(dir: string, instruments: InstrumentTable): RiskLimits | null {
  const path = riskLimitsPath(dir);
  if (!existsSync(path)) return null;
  // a FIFO in its place would block the start forever; a directory gave a bare EISDIR
  const st = statSync(path);
  if (!st.isFile()) throw notARegularFile(path, dir, st);
  const text = readFileSync(path, 'utf8');
  try {
    return validateRiskLimits(JSON.parse(text), { instruments });
  } catch (err) {
    throw new TradingError(
      TradingErrorCode.LOG_CORRUPT,
      `${path}: not a risk limits file (${(err as Error).message}); restore it or remove it (the defaults apply) and PUT /limits again`,
    );
  }
}

/** Saves `limits` in `dir` atomically and durably. */
export function writeRiskLimitsFile(dir: string, limits: RiskLimits): void {
  makeDir(dir);
  const path = riskLimitsPath(dir);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, `${JSON.stringify(limits, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dir);
}
