// The client library's declarations, checked by tsc (ClientPackageTest): code written against the
// documented API (docs/CLIENT.md) compiles under --strict, and misuse does not.
import { Chorus, ChorusError, isNewer, type Message, type StateChange } from "chorus-client";

const chorus = new Chorus({ url: "wss://chat.example.com/ws", name: "ann", getToken: async () => "jwt", sendTimeout: 10_000 });
chorus.connect();
const lobby = chorus.room("lobby");
lobby.on("message", (m: Message) => console.log(m.from, m.text, m.own, m.user ?? "anonymous"));
lobby.on("presence", (p) => console.log(p.online, p.members?.map((m) => m.name)));
lobby.on("typing", (t) => console.log(`${t.name} is typing`));
lobby.on("outbox", ({ entries, confirmed }) => console.log(entries.length, confirmed?.id));
lobby.on("left", (l) => console.log(l.code ?? "asked"));
chorus.on("state", ({ state, reason }: StateChange) => console.log(state, reason));

async function talk(): Promise<string> {
  try {
    const { id, duplicate } = await lobby.send("hi", { timeout: 5000 });
    return duplicate ? "again" : id;
  } catch (e) {
    if (e instanceof ChorusError) return e.code;
    throw e;
  }
}
void talk();
lobby.typing();
for (const entry of lobby.pending()) if (entry.refused) lobby.discard(entry.ref);
lobby.leave();
const newer: boolean = isNewer("1-2", lobby.lastId);
console.log(newer, chorus.state === "stopped", chorus.rooms.length);
chorus.close();

// @ts-expect-error a room's events are its own: no such event
lobby.on("sent", () => {});
// @ts-expect-error send takes text
void lobby.send(42);
// @ts-expect-error there is no such state
const wrong: StateChange["state"] = "ended";
console.log(wrong);
