/**
 * Who acts. By default agent ids and the names in changed_by / reviewed_by
 * are whatever the caller says (and the history also keeps the session role
 * beside them). With bind_agent_identity on, the session user *is* the
 * actor: an agent may register and move only intents whose agent_id is its
 * own role name, and may not record another name as the one who acted.
 */
import { forbidden, invalidTransactionState } from './errors.js';

export interface Session {
  session_user: string;
  isolation: string;
  bind: string;
  /** The installation's default lease. */
  lease_seconds: number;
}

export const bound = (s: Session) => s.bind === 'on';

/** With binding on, an agent may act only as its own session user. */
export function checkAgent(s: Session, agentId: string): void {
  if (bound(s) && s.session_user !== agentId) {
    throw forbidden(
      `agent_id "${agentId}" does not match the session user "${s.session_user}"`,
      'bind_agent_identity is on: connect as the agent role whose name is the agent_id',
    );
  }
}

/**
 * The name recorded as the one who acted: the name given, or the session
 * user. With binding on, a name other than the session user is refused.
 */
export function actor(s: Session, argName: string, given: string | null): string {
  if (given === null) return s.session_user;
  if (bound(s) && given !== s.session_user) {
    throw forbidden(
      `${argName} "${given}" is not the session user "${s.session_user}"`,
      'bind_agent_identity is on: the session user is recorded as the actor; leave the name out',
    );
  }
  return given;
}

export function requireReadCommitted(s: Session, fn: string): void {
  if (s.isolation !== 'read committed') {
    throw invalidTransactionState(
      `${fn} needs READ COMMITTED isolation, not ${s.isolation.toUpperCase()}`,
      'a snapshot taken before the registration locks could miss a concurrent intent; register in a READ COMMITTED transaction',
    );
  }
}
