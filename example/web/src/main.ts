// The example frontend: a livekit-client Room and the generated VoiceAgent
// descriptors, called through @lkrpc/lkrpc. Nothing here names a wire name
// or encodes a payload: both come from the .proto and its lkrpc options.
import { Room, RoomEvent } from "livekit-client";
import { toJsonString, type DescMethod } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { createClient, LkrpcError, methodSpec, type CallPhase } from "@lkrpc/lkrpc";
import {
  AgentState,
  AgentStateSchema,
  VoiceAgent,
  VoiceUnavailableSchema,
} from "@gen/agent/v1/agent_pb.js";
import "./style.css";

interface Config {
  url: string;
  token: string;
  agent: string;
}

const $ = <T extends HTMLElement>(sel: string, root: ParentNode = document) => root.querySelector(sel) as T;

function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

function ms(since: number): string {
  return `${(performance.now() - since).toFixed(0)} ms`;
}

/** A card for one call: its method's wire name and codec (from the options), phases, result. */
class Card {
  el: HTMLElement;
  private phases: HTMLUListElement;
  private result: HTMLPreElement;
  button: HTMLButtonElement;
  private timer: number | undefined;
  private fn: (card: Card) => Promise<void>;
  private notes: HTMLElement[] = [];

  constructor(id: string, title: string, method: DescMethod, run: (card: Card) => Promise<void>) {
    this.fn = run;
    const spec = methodSpec(method);
    this.el = document.createElement("article");
    this.el.className = "card";
    this.el.id = id;
    this.el.dataset.state = "idle";
    this.el.innerHTML = `<h2><span></span><button disabled>Call</button></h2>
      <div class="wire"></div><ul class="phases"></ul><pre class="result">not called yet</pre>`;
    $("h2 span", this.el).textContent = title;
    $(".wire", this.el).textContent =
      `${spec.name} · ${spec.codec}` + (spec.timeoutMs ? ` · timeout ${spec.timeoutMs} ms` : "") +
      (spec.maxRequestBytes ? ` · ≤ ${formatBytes(spec.maxRequestBytes)}` : "");
    this.phases = $("ul", this.el);
    this.result = $("pre", this.el);
    this.button = $("button", this.el);
    this.button.onclick = () => void this.start();
    $("#calls").append(this.el);
  }

  /** Runs the call and shows its outcome; never rejects. */
  async start(): Promise<void> {
    const fn = this.fn;
    this.button.disabled = true;
    this.el.dataset.state = "running";
    this.phases.replaceChildren();
    this.notes.forEach((n) => n.remove());
    this.notes = [];
    this.result.textContent = "…";
    try {
      await fn(this);
      this.el.dataset.state = "done";
    } catch (e) {
      this.el.dataset.state = "error";
      this.result.textContent = describeError(e);
    } finally {
      this.stopTimer();
      this.button.disabled = false;
    }
  }

  /** Adds a phase line; the last one is the current one. */
  phase(text: string): HTMLLIElement {
    this.phases.querySelector("li.current")?.classList.remove("current");
    const li = document.createElement("li");
    li.className = "current";
    li.textContent = text;
    this.phases.append(li);
    return li;
  }

  /** Shows the elapsed time on line until stopTimer: the SDK reports no transfer progress. */
  tick(li: HTMLLIElement, label: string, since: number): void {
    this.stopTimer();
    const update = () => (li.textContent = `${label} — ${((performance.now() - since) / 1000).toFixed(1)} s`);
    update();
    this.timer = window.setInterval(update, 100);
  }

  stopTimer(): void {
    if (this.timer !== undefined) window.clearInterval(this.timer);
    this.timer = undefined;
  }

  note(text: string): void {
    const p = document.createElement("p");
    p.className = "note";
    p.textContent = text;
    this.phases.before(p);
    this.notes.push(p);
  }

  show(text: string): void {
    this.result.textContent = text;
  }
}

function describeError(e: unknown): string {
  if (!(e instanceof LkrpcError)) return `failed: ${e instanceof Error ? e.message : String(e)}`;
  const lines = [`error ${e.code}: ${e.message}`];
  for (const d of e.findDetails(VoiceUnavailableSchema)) {
    lines.push(`details: VoiceUnavailable ${toJsonString(VoiceUnavailableSchema, d, { prettySpaces: 1 })}`);
  }
  if (lines.length === 1 && e.data) lines.push(`data: ${e.data}`);
  return lines.join("\n");
}

/** A document of about n bytes: paragraphs of sentences, as a transcript would be. */
function makeDocument(n: number): string {
  const sentences = [
    "The user asked the agent to book a table for four at seven.",
    "The agent confirmed the restaurant and the time.",
    "They discussed allergies, and the agent noted that one guest avoids nuts.",
    "The agent read the booking back and the user agreed.",
  ];
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < n; i++) {
    const para = `Turn ${i + 1} — ${sentences[i % sentences.length]} ${sentences[(i + 1) % sentences.length]}`;
    parts.push(para);
    size += para.length + 2;
  }
  return parts.join("\n\n");
}

async function main(): Promise<void> {
  const conn = $("#conn");
  const config = (await (await fetch("/config")).json()) as Config;
  const room = new Room();
  await room.connect(config.url, config.token, { autoSubscribe: false });
  if (!room.remoteParticipants.has(config.agent)) {
    conn.textContent = `waiting for ${config.agent}…`;
    await new Promise<void>((resolve) => {
      const on = (p: { identity: string }) => {
        if (p.identity !== config.agent) return;
        room.off(RoomEvent.ParticipantConnected, on);
        resolve();
      };
      room.on(RoomEvent.ParticipantConnected, on);
    });
  }
  conn.dataset.state = "connected";
  conn.textContent = `connected as ${room.localParticipant.identity} · agent: ${config.agent}`;

  const agent = createClient(VoiceAgent, room, config.agent);

  const cards = [
    new Card("get-status", "GetStatus", VoiceAgent.method.getStatus, async (card) => {
      const start = performance.now();
      card.phase("calling…");
      const status = await agent.getStatus({});
      card.phase(`answered in ${ms(start)}`);
      card.show(
        `state: ${AgentStateSchema.value[status.state]?.name ?? status.state}` +
          (status.state === AgentState.LISTENING ? " (listening)" : "") +
          `\nvoice: ${status.voiceId}\njoined: ${status.joinedAt ? timestampDate(status.joinedAt).toISOString() : "?"}`,
      );
    }),
    new Card("ping", "Ping", VoiceAgent.method.ping, async (card) => {
      const start = performance.now();
      card.phase("calling…");
      const pong = await agent.ping({});
      card.phase(`answered in ${ms(start)}`);
      card.show(`pong: agent clock ${pong.time ? timestampDate(pong.time).toISOString() : "?"}`);
    }),
    new Card("summarize", "Summarize (1 MiB document)", VoiceAgent.method.summarize, async (card) => {
      const text = makeDocument(1 << 20);
      const start = performance.now();
      card.note("livekit-client reports no transfer progress for RPC: these are the call's phases and the time elapsed.");
      let waiting: HTMLLIElement | undefined;
      const onPhase = (p: CallPhase) => {
        switch (p.phase) {
          case "encoded":
            card.phase(`request encoded: ${formatBytes(p.requestBytes)} of ${p.codec.toUpperCase()} (${ms(start)})`);
            break;
          case "sent":
            waiting = card.phase("");
            card.tick(waiting, "uploading and waiting for the agent", performance.now());
            break;
          case "received":
            card.stopTimer();
            if (waiting) waiting.textContent = `uploaded, summarized and answered — ${ms(start)} since the call began`;
            card.phase(`reply received: ${formatBytes(p.responseBytes)}`);
            break;
          case "decoded":
            card.phase(`reply decoded — done in ${ms(start)}`);
            break;
        }
      };
      const summary = await agent.summarize({ document: { title: "Booking call", text }, maxWords: 40 }, { onPhase });
      card.show(
        `summary (${summary.summary.split(/\s+/).length} words): ${summary.summary.slice(0, 160)}…\n` +
          `key points: ${summary.keyPoints.length}; first: ${summary.keyPoints[0] ?? "-"}`,
      );
    }),
    new Card("answer", "Answer (streamed)", VoiceAgent.method.answer, async (card) => {
      // A server-streaming call: each AnswerChunk is shown as it arrives.
      const start = performance.now();
      card.phase("asking…");
      let text = "";
      const lengths: number[] = [];
      const times: number[] = [];
      let first: HTMLLIElement | undefined;
      for await (const chunk of agent.answer({ question: "streaming replies" })) {
        text += chunk.text;
        lengths.push(text.length);
        times.push(Math.round(performance.now() - start));
        first ??= card.phase(`first words after ${ms(start)}`);
        card.show(text + " ▍");
        card.el.dataset.lengths = lengths.join(",");
        card.el.dataset.times = times.join(",");
      }
      card.phase(`${lengths.length} chunks, complete in ${ms(start)}`);
      card.show(text);
    }),
    new Card("set-voice", 'SetVoice("nova")', VoiceAgent.method.setVoice, async (card) => {
      const start = performance.now();
      card.phase("calling…");
      try {
        const r = await agent.setVoice({ voiceId: "nova" });
        card.show(`voice is now ${r.voiceId}`);
      } finally {
        card.phase(`answered in ${ms(start)}`);
      }
    }),
  ];
  for (const c of cards) c.button.disabled = false;
  const runAll = $<HTMLButtonElement>("#run-all");
  runAll.disabled = false;
  runAll.onclick = async () => {
    runAll.disabled = true;
    for (const c of cards) await c.start();
    runAll.disabled = false;
  };
  document.body.dataset.ready = "true";
}

main().catch((e) => {
  const conn = $("#conn");
  conn.dataset.state = "failed";
  conn.textContent = `failed: ${e instanceof Error ? e.message : String(e)}`;
});
