import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ExecutorOptionsError,
  ExitCode,
  LAB_ERRORS,
  LabError,
  LabErrorCode,
  labExitCode,
  labHttpStatus,
  throwIfProblems,
  UserFileError,
} from '@tickstorm/loadlab';
import { AnalyzeInputError } from '@tickstorm/loadlab/analyze';

const codes = Object.values(LabErrorCode);
const exitCodes = new Set<number>(Object.values(ExitCode));

test('every LAB_ERR_* code is unique and has an HTTP status and an exit code', () => {
  assert.ok(codes.length > 0);
  assert.equal(new Set(codes).size, codes.length, 'codes are unique');
  for (const [key, code] of Object.entries(LabErrorCode)) {
    assert.equal(code, `LAB_ERR_${key}`);
    const info = LAB_ERRORS[code];
    assert.ok(info !== undefined, `${code} has an entry`);
    assert.ok(
      Number.isInteger(info.http) && info.http >= 400 && info.http <= 599,
      `${code}: HTTP ${info.http}`,
    );
    assert.ok(exitCodes.has(info.exit), `${code}: exit ${info.exit} is in gates/exit-codes.ts`);
    assert.ok(
      info.exit === ExitCode.INVALID_CONFIG ||
        info.exit === ExitCode.ERROR ||
        info.exit === ExitCode.SCRIPT_ERROR,
      `${code}: 104, 107 or 1`,
    );
    assert.equal(labHttpStatus(code), info.http);
    assert.equal(labExitCode(code), info.exit);
  }
  assert.deepEqual(Object.keys(LAB_ERRORS).sort(), [...codes].sort(), 'the table has no other codes');
  assert.equal(labHttpStatus('LAB_ERR_NOPE'), 500);
  assert.equal(labExitCode('LAB_ERR_NOPE'), ExitCode.ERROR);
});

test('validation codes exit 104 (400), runtime codes exit 1', () => {
  assert.equal(labExitCode(LabErrorCode.INVALID_EXECUTOR_OPTIONS), 104);
  assert.equal(labExitCode(LabErrorCode.INVALID_SCENARIO_PARAMS), 104);
  assert.equal(labHttpStatus(LabErrorCode.INVALID_SWARM), 400);
  assert.equal(labHttpStatus(LabErrorCode.FORBIDDEN_ORIGIN), 403);
  assert.equal(labHttpStatus(LabErrorCode.NOT_FOUND), 404);
  assert.equal(labHttpStatus(LabErrorCode.METHOD_NOT_ALLOWED), 405);
  assert.equal(labHttpStatus(LabErrorCode.BODY_TOO_LARGE), 413);
  assert.equal(labHttpStatus(LabErrorCode.SWARM), 500);
  assert.equal(labExitCode(LabErrorCode.WORKER_CRASH), 1);
  assert.equal(labExitCode(LabErrorCode.TARGET_UNREACHABLE), 1);
});

test('LabError carries code, problems and cause', () => {
  const cause = new Error('root');
  const e = new LabError(LabErrorCode.INVALID_SWARM, 'a; b', { problems: ['a', 'b'], cause });
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'LabError');
  assert.equal(e.code, 'LAB_ERR_INVALID_SWARM');
  assert.equal(e.message, 'a; b');
  assert.deepEqual(e.problems, ['a', 'b']);
  assert.equal(e.cause, cause);
  assert.equal(e.httpStatus, 400);
  assert.equal(e.exitCode, 104);
  const plain = new LabError(LabErrorCode.INTERNAL, 'bug');
  assert.equal(plain.problems, undefined);
  assert.equal(plain.cause, undefined);
  assert.equal(plain.exitCode, 1);
});

test('the named errors are LabErrors with fixed codes', () => {
  const ex = new ExecutorOptionsError(['x', 'y']);
  assert.ok(ex instanceof LabError);
  assert.equal(ex.code, LabErrorCode.INVALID_EXECUTOR_OPTIONS);
  assert.deepEqual(ex.problems, ['x', 'y']);
  assert.equal(ex.name, 'ExecutorOptionsError');
  const uf = new UserFileError(['no such file']);
  assert.ok(uf instanceof LabError);
  assert.equal(uf.code, LabErrorCode.INVALID_USER_FILE);
  assert.equal(uf.message, 'no such file');
  const ai = new AnalyzeInputError('bad csv');
  assert.ok(ai instanceof LabError);
  assert.equal(ai.code, LabErrorCode.INVALID_ANALYZE_INPUT);
  assert.equal(ai.exitCode, 104);
  assert.throws(
    () => throwIfProblems('s', ['p1', 'p2']),
    (e: unknown) =>
      e instanceof LabError &&
      e.code === LabErrorCode.INVALID_SCENARIO_PARAMS &&
      e.problems?.length === 2 &&
      e.message === 's: invalid parameters:\n  - p1\n  - p2',
  );
});
