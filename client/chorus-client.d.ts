// Types for chorus-client (docs/CLIENT.md). The wire frames are docs/PROTOCOL.md's.

/** A message of a room, as the server sent it, plus whether it is this client's own. */
export interface Message {
  type: "message";
  id: string;
  room: string;
  from: string;
  /** The sender's verified user id; only the server writes it. */
  user?: string;
  text: string;
  ts: number;
  session?: string;
  own: boolean;
}

export interface Member {
  name: string;
  user?: string;
}

/** Who is in a room: members is null in a room too big to list (online says how many). */
export interface Presence {
  type: "presence";
  room: string;
  online: number;
  members: Member[] | null;
  names: string[];
}

export interface Welcome {
  type: "welcome";
  session: string;
  name: string;
  user?: string;
  room: string;
  maxBytes: number;
  rate: number;
  burst: number;
  addressRate: number;
  addressBurst: number;
  online: number;
  refWindow: number;
}

export interface Reset {
  type: "reset";
  room: string;
  reason: "history-exceeded" | "unknown-since";
  oldest: string | null;
}

export interface Typing {
  type: "typing";
  room: string;
  name: string;
  user?: string;
  session: string;
}

/** The socket is no longer in the room: code and reason when the room put it out (4001, 4005, 4009). */
export interface Left {
  type: "left";
  room: string;
  code?: number;
  reason?: string;
}

export interface ErrorFrame {
  code: string;
  message: string;
  room?: string;
  ref?: string;
}

/** A message of the outbox: refused (kept until discarded) when the server refused it for good. */
export interface OutboxEntry {
  ref: string;
  text: string;
  at: number;
  refused?: { code: string; message: string };
}

/** The outbox changed: what waits, and the message that just left it as delivered, if one did. */
export interface Outbox {
  entries: OutboxEntry[];
  confirmed: { ref: string; id: string; duplicate: boolean } | null;
}

export interface Sent {
  id: string;
  duplicate: boolean;
}

export type State = "connecting" | "open" | "reconnecting" | "stopped";

/**
 * Why the client is not open: for "reconnecting", "restarting", "offline", "no-answer", "token",
 * "unavailable", "busy", "unreachable" or null; for "stopped", "closed", "room-closed", "disconnected",
 * "expired", "refused" or "banned".
 */
export interface StateChange {
  state: State;
  reason: string | null;
  message: string | null;
}

export interface Limits {
  maxBytes: number;
  rate: number;
  burst: number;
  addressRate: number;
  addressBurst: number;
}

/** Where the client id, own sessions and outbox are kept: sessionStorage in a browser. */
export interface Storage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface ChorusOptions {
  /** The server's socket URL; this origin's /ws by default. */
  url?: string;
  /** A token from the app's backend (docs/AUTH.md). */
  token?: string | null;
  /** Called for a token before connecting when there is none or it expires within 10 s. */
  getToken?: (() => Promise<string>) | null;
  /** The name to show (a verified user shows its token's); a guest's by default. */
  name?: string;
  storage?: Storage;
  /** The storage key: one per Chorus on a page. */
  key?: string;
  /** The WebSocket class, where there is no global one. */
  WebSocket?: unknown;
  /** Milliseconds after which an unconfirmed send is withdrawn and rejected with code "timeout". */
  sendTimeout?: number;
}

interface RoomEvents {
  message: Message;
  presence: Presence;
  welcome: Welcome;
  reset: Reset;
  typing: Typing;
  left: Left;
  outbox: Outbox;
  error: ErrorFrame;
}

interface ChorusEvents {
  state: StateChange;
  welcome: Welcome;
  error: ErrorFrame;
}

export class ChorusError extends Error {
  readonly code: string;
  constructor(code: string, message: string);
}

/** Whether id is a later message than than (within one epoch). */
export function isNewer(id: string, than: string | null): boolean;

export class Room {
  readonly name: string;
  /** The newest message delivered here: where a reconnect resumes. */
  readonly lastId: string | null;
  readonly members: Member[] | null;
  readonly online: number | null;
  on<E extends keyof RoomEvents>(event: E, handler: (value: RoomEvents[E]) => void): () => void;
  send(text: string, options?: { timeout?: number }): Promise<Sent>;
  pending(): OutboxEntry[];
  discard(ref: string): void;
  typing(): void;
  leave(): void;
}

export class Chorus {
  constructor(options?: ChorusOptions);
  readonly state: State;
  readonly reason: string | null;
  readonly name: string;
  readonly user: string | null;
  readonly client: string;
  readonly limits: Limits | null;
  readonly rooms: Room[];
  isOwn(message: { session?: string }): boolean;
  on<E extends keyof ChorusEvents>(event: E, handler: (value: ChorusEvents[E]) => void): () => void;
  connect(): void;
  room(name: string): Room;
  rename(name: string): void;
  close(): void;
}
