import { describe, expect, it } from 'vitest';
import { deriveStatus, type StatusFacts } from '../../src/state/instance-status.js';

const none: StatusFacts = { recordPid: false, pidAlive: false, pidVerified: false, lockPresent: false, lockFresh: false, ready: false, portAnswers: false };

describe('deriveStatus', () => {
  const table: [string, Partial<StatusFacts>, string][] = [
    ['no pid, no lock', {}, 'stopped'],
    ['clean stop left the port in the record but no pid', { ready: true }, 'stopped'],
    ['live daemon answering', { recordPid: true, pidAlive: true, lockPresent: true, lockFresh: true, ready: true, portAnswers: true }, 'running'],
    ['answering before the record says ready (record write pending)', { recordPid: true, pidAlive: true, lockPresent: true, portAnswers: true }, 'running'],
    ['ready but busy (PGlite blocks the event loop)', { recordPid: true, pidAlive: true, lockPresent: true, ready: true }, 'running'],
    ['live daemon still starting', { recordPid: true, pidAlive: true, lockPresent: true, lockFresh: true }, 'starting'],
    ['kill -9: pid dead, lock left behind', { recordPid: true, lockPresent: true, lockFresh: true, ready: true }, 'crashed'],
    ['pid dead, lock cleaned by exit hook', { recordPid: true, ready: true }, 'crashed'],
    ['pid reused by another process, no lock', { recordPid: true, pidAlive: true, ready: true }, 'crashed'],
    ['pid alive but no lock even though port answers (someone else on the port)', { recordPid: true, pidAlive: true, portAnswers: true }, 'crashed'],
    ['our daemon (start time matches) whose lock was deleted, answering', { recordPid: true, pidAlive: true, pidVerified: true, ready: true, portAnswers: true }, 'running'],
    ['our daemon whose lock was deleted, still starting', { recordPid: true, pidAlive: true, pidVerified: true }, 'starting'],
    ['no pid, fresh lock: unknown live holder', { lockPresent: true, lockFresh: true }, 'starting'],
    ['no pid, old lock: stale', { lockPresent: true }, 'crashed'],
  ];
  it.each(table)('%s', (_label, facts, expected) => {
    expect(deriveStatus({ ...none, ...facts }).status).toBe(expected);
  });
});
