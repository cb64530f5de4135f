/**
 * Whether a process named by its pid is certainly gone, told from this machine: Linux's
 * /proc/<pid>/stat start time (field 22, clock ticks since boot) tells a live process from a
 * later one given the same pid. Used by the data directory's lock (./dir-lock.ts) and by the
 * role leases (../cluster/role-lease.ts), which also carry the boot and the pid namespace so that
 * a holder in another container or on another boot of a host of the same name is never judged
 * from here.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/** /proc/<pid>/stat's fields from the third (state) on; [] when unknown (not Linux, or no such process). */
function statFields(pid: number): string[] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the command name (field 2) is in parentheses and may hold spaces: count after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return [];
  }
}

/** The start time of `pid` (clock ticks since boot), '' when unknown (not Linux, or no such process). */
export function processStartTime(pid: number): string {
  return statFields(pid)[19] ?? '';
}

/**
 * False only when `pid` is gone, a zombie (killed, not yet reaped by its parent: `kill -9` and
 * a restart at once), or now belongs to a process started at another time than `started`.
 */
export function processAlive(pid: number, started: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = statFields(pid);
  if (fields[0] === 'Z' || fields[0] === 'X') return false;
  const now = fields[19] ?? '';
  return started === '' || now === '' || now === started;
}

/** Where a process runs and which it is, as far as another process can check it. */
export interface ProcessIdentity {
  host: string;
  pid: number;
  /** Its start time (processStartTime); '' when unknown. */
  started: string;
  /** The kernel's boot id; '' when unknown. */
  bootId: string;
  /** Its pid namespace (`pid:[inode]`); '' when unknown. */
  pidNamespace: string;
}

function read(f: () => string): string {
  try {
    return f().trim();
  } catch {
    return '';
  }
}

/** This process's identity. */
export function ownIdentity(): ProcessIdentity {
  return {
    host: hostname(),
    pid: process.pid,
    started: processStartTime(process.pid),
    bootId: read(() => readFileSync('/proc/sys/kernel/random/boot_id', 'latin1')),
    pidNamespace: read(() => readlinkSync('/proc/self/ns/pid')),
  };
}

/**
 * True only when the process `other` names ran on this machine, in this boot and this pid
 * namespace, and is gone (its pid free, or taken by a later process). Anything unknown: false.
 */
export function goneFromHere(other: Partial<ProcessIdentity>): boolean {
  const me = ownIdentity();
  if (me.bootId === '' || me.pidNamespace === '' || me.started === '') return false;
  if (other.host !== me.host || other.bootId !== me.bootId || other.pidNamespace !== me.pidNamespace)
    return false;
  if (typeof other.pid !== 'number' || typeof other.started !== 'string' || other.started === '')
    return false;
  if (other.pid === me.pid) return other.started !== me.started;
  return !processAlive(other.pid, other.started);
}
