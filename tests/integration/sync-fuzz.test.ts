import { randomInt } from 'node:crypto';
import type WebSocket from 'ws';
import type { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectProvider, login, whenSynced, withTimeout } from '../helpers/client.ts';
import { startClinicServer } from '../helpers/clinic.ts';
import {
	authMessage,
	awarenessMessage,
	awarenessPayload,
	badUpdateKinds,
	classify,
	Conditions,
	contentDiff,
	contentOf,
	EMPTY_STATE_VECTOR,
	fetchServedDoc,
	innocentLikeEdit,
	KNOWN_POISON,
	makeBadUpdate,
	mulberry32,
	mutate,
	nextTurn,
	openRaw,
	parsedUpdateOf,
	queryAwarenessMessage,
	readServerMessage,
	step1Message,
	svObject,
	syncMessage,
	type CloseRecord,
	type Material,
	type Rng
} from '../helpers/fuzz.ts';
import { createUser, ServerProcess, type ServerEnv } from '../helpers/server.ts';

/**
 * SYNC-FUZZ: a seeded fuzz test of `/sync/<doc>` against the real server process. Innocent y-websocket clients
 * edit one doc while attacker sockets of the same clinic send random, damaged and hostile messages at the same
 * moments. The rules (docs/spec/sync.md, SYNC-INPUT-1, SYNC-STORE-2, SYNC-PROTO-3 and issue 6):
 *
 * - SYNC-FUZZ-1 Every innocent edit is stored, and nothing else: the doc the server serves to a fresh client,
 *   before and after a restart, equals what the innocent clients hold (state vector and content), with no
 *   pending structs or delete sets and no struct of any other client.
 * - SYNC-FUZZ-2 No innocent socket is closed by the server, whatever the attackers send; the server stays up.
 * - SYNC-FUZZ-3 Nothing of an attacker's bad update is relayed or acknowledged: no update, step 2 or step 1 the
 *   server sends to anyone covers a client or clock that is not innocent content.
 * - SYNC-FUZZ-4 Awareness is tied to the socket that introduced it: once the attackers are gone, every innocent
 *   client sees exactly the innocent presences, as their owners last set them.
 *
 * `FUZZ_SECONDS=180 npx vitest run --project integration tests/integration/sync-fuzz.test.ts` runs fresh seeds
 * for that long instead of the fixed ones and prints every failing seed.
 */

const CI_SEEDS = [0x5eed0001, 0x5eed0002, 0x5eed0003, 0x5eed0004];
const FUZZ_SECONDS = Number(process.env.FUZZ_SECONDS ?? 0);
const STEPS = 160;
const GUARD_MS = 15_000;

type RuleId = 'SYNC-FUZZ-1' | 'SYNC-FUZZ-2' | 'SYNC-FUZZ-3' | 'SYNC-FUZZ-4';
const RULES: RuleId[] = ['SYNC-FUZZ-1', 'SYNC-FUZZ-2', 'SYNC-FUZZ-3', 'SYNC-FUZZ-4'];

let env: ServerEnv;
let server: ServerProcess;
let clinic: string;
/** Innocent sessions: the admin, and a practitioner. */
let innocentCookies: string[];
/** Attacker sessions: other users of the same clinic (reception and practitioner), one session each. */
let attackerCookies: string[];

beforeAll(async () => {
	const started = await startClinicServer('admin');
	env = started.env;
	server = started.server;
	clinic = started.clinic;
	const [practitioner, reception, other] = await Promise.all([
		createUser(env, clinic, 'practitioner'),
		createUser(env, clinic, 'reception'),
		createUser(env, clinic, 'practitioner')
	]);
	innocentCookies = [started.cookie, await login(server.url, practitioner.email, practitioner.password)];
	attackerCookies = [];
	for (const u of [reception, other, reception, other]) attackerCookies.push(await login(server.url, u.email, u.password));
});

afterAll(async () => {
	await server?.stop();
});

const syncUrl = (docName: string) => `${server.wsUrl}/sync/${docName}`;

// ---------------------------------------------------------------- innocent clients

interface Innocent {
	name: string;
	doc: Y.Doc;
	provider: WebsocketProvider;
	/** Closes of this client's socket by the server while recording. */
	closes: CloseRecord[];
	/** The highest clock of its own client that a server message covered (SYNC-PROTO-3). */
	acked: number;
	/** Its own edits, as updates. */
	updates: Uint8Array[];
	/** Awareness states seen for each client id, by name, to catch spoofs. */
	seenNames: Map<number, Set<string>>;
	maxStates: number;
}

interface Observed {
	where: string;
	kind: string;
	to: Map<number, number>;
}

class Round {
	readonly conditions = new Conditions();
	readonly outputs: Observed[] = [];
	recording = true;
	step = 0;
	readonly stepKinds: string[][] = [[]];
	readonly violations: Record<RuleId, string[]> = {
		'SYNC-FUZZ-1': [],
		'SYNC-FUZZ-2': [],
		'SYNC-FUZZ-3': [],
		'SYNC-FUZZ-4': []
	};

	around(): string[] {
		return [...(this.stepKinds[this.step - 1] ?? []), ...(this.stepKinds[this.step] ?? [])];
	}

	observe(where: string, data: Uint8Array): void {
		const message = readServerMessage(data);
		if (message.kind === 'step1') {
			this.outputs.push({ where, kind: 'step1', to: Y.decodeStateVector(message.stateVector) });
		} else if (message.kind === 'step2' || message.kind === 'update') {
			try {
				this.outputs.push({ where, kind: message.kind, to: Y.parseUpdateMeta(message.update).to });
			} catch (error) {
				this.outputs.push({ where, kind: `undecodable ${message.kind}: ${String(error)}`, to: new Map() });
			}
		}
	}
}

function connectInnocent(round: Round, name: string, docName: string, cookie: string, clientId?: number): Innocent {
	const doc = new Y.Doc();
	if (clientId !== undefined) doc.clientID = clientId;
	const provider = connectProvider(server.wsUrl, docName, { cookie, origin: server.url, doc });
	const me: Innocent = { name, doc, provider, closes: [], acked: 0, updates: [], seenNames: new Map(), maxStates: 0 };
	provider.on('status', ({ status }: { status: string }) => {
		if (status !== 'connected' || !provider.ws) return;
		(provider.ws as unknown as WebSocket).on('message', (data: ArrayBuffer) => {
			const bytes = new Uint8Array(data);
			const message = readServerMessage(bytes);
			if (message.kind === 'step1') {
				me.acked = Math.max(me.acked, Y.decodeStateVector(message.stateVector).get(doc.clientID) ?? 0);
			} else if (message.kind === 'step2' || message.kind === 'update') {
				try {
					me.acked = Math.max(me.acked, Y.parseUpdateMeta(message.update).to.get(doc.clientID) ?? 0);
				} catch {
					// recorded by observe
				}
			}
			round.observe(name, bytes);
			round.conditions.poke();
		});
	});
	provider.on('connection-close', (event: { code: number; reason: string } | null) => {
		if (round.recording && event) me.closes.push({ code: event.code, reason: event.reason, around: round.around() });
	});
	// A terminal close (4xxx) stops y-websocket; it is recorded above, and the client goes on so that it converges.
	provider.on('closed', () => provider.connect());
	doc.on('update', (update: Uint8Array, origin: unknown) => {
		if (origin !== provider) me.updates.push(update);
		round.conditions.poke();
	});
	provider.awareness.on('change', () => {
		const states = provider.awareness.getStates();
		me.maxStates = Math.max(me.maxStates, states.size);
		for (const [id, state] of states) {
			const seen = me.seenNames.get(id) ?? new Set<string>();
			seen.add(String((state as { user?: { name?: unknown } }).user?.name));
			me.seenNames.set(id, seen);
		}
		round.conditions.poke();
	});
	return me;
}

const ownClock = (i: Innocent) => Y.getState(i.doc.store, i.doc.clientID);

// ---------------------------------------------------------------- attackers

class Attacker {
	ws: WebSocket | null = null;
	running = true;
	readonly closes: CloseRecord[] = [];
	readonly sent = new Map<string, number>();
	skipped = 0;
	refused = 0;
	#opened: (() => void) | null = null;
	readonly opened: Promise<void>;

	constructor(
		readonly name: string,
		readonly round: Round,
		readonly docName: string,
		readonly cookie: string
	) {
		this.opened = new Promise((resolve) => (this.#opened = resolve));
		this.connect();
	}

	connect(): void {
		const ws = openRaw(syncUrl(this.docName), this.cookie, server.url);
		this.ws = ws;
		let refused = false;
		ws.on('error', () => {});
		ws.once('unexpected-response', (_req, res) => {
			refused = true;
			this.refused++;
			this.closes.push({ code: res.statusCode ?? 0, reason: 'upgrade refused', around: this.round.around() });
			ws.terminate();
		});
		ws.once('open', () => {
			this.#opened?.();
			this.round.conditions.poke();
		});
		ws.on('message', (data: Buffer) => {
			this.round.observe(this.name, new Uint8Array(data));
			this.round.conditions.poke();
		});
		ws.once('close', (code, reason) => {
			if (this.ws === ws) this.ws = null;
			if (!refused) this.closes.push({ code, reason: reason.toString(), around: this.round.around() });
			this.round.conditions.poke();
			// Attackers come back at once and keep attacking; a refused upgrade is retried after a short pause.
			if (this.running) {
				if (refused) setTimeout(() => this.running && this.connect(), 25);
				else this.connect();
			}
		});
	}

	send(kind: string, frames: Uint8Array[]): void {
		const ws = this.ws;
		if (!ws || ws.readyState !== ws.OPEN) {
			this.skipped++;
			return;
		}
		for (const frame of frames) ws.send(frame);
		this.sent.set(kind, (this.sent.get(kind) ?? 0) + 1);
		this.round.stepKinds[this.round.step].push(`${this.name}:${kind}`);
	}

	async stop(): Promise<void> {
		this.running = false;
		const ws = this.ws;
		if (!ws || ws.readyState === ws.CLOSED) return;
		const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
		ws.close();
		await withTimeout(closed, 5000, `${this.name} closed`).catch(() => ws.terminate());
	}
}

// ---------------------------------------------------------------- attacks

const attackKinds = [
	'random-bytes',
	'random-typed',
	'mutated:sync-step1',
	'mutated:sync-step2',
	'mutated:sync-update',
	'mutated:awareness',
	'mutated:query-awareness',
	'mutated:auth',
	'bad-update',
	'bad-update',
	'bad-update',
	'awareness-spoof',
	'awareness-ghosts',
	'awareness-big',
	'flood-step1',
	'flood-query-awareness'
] as const;

/** An update a correct server must refuse (throws, or pending forever); never a legitimate write. */
function badUpdate(m: Material, kind = m.rng.pick(badUpdateKinds)): { kind: string; update: Uint8Array } | null {
	for (let tries = 0; tries < 6; tries++) {
		const update = makeBadUpdate(kind, m);
		if (update && classify(update, m.confirmed) !== 'applies') return { kind, update };
	}
	return null;
}

function makeAttack(
	plan: Rng,
	m: Material,
	attackerClient: number,
	innocents: Innocent[]
): { kind: string; frames: Uint8Array[] } | null {
	const rng = m.rng;
	const kind = plan.pick(attackKinds);
	switch (kind) {
		case 'random-bytes':
			return { kind, frames: [rng.bytes(rng.range(1, 64))] };
		case 'random-typed':
			return { kind, frames: [Uint8Array.from([rng.int(4), ...rng.bytes(rng.range(0, 48))])] };
		case 'bad-update': {
			const bad = badUpdate(m);
			return bad && { kind: `bad-update:${bad.kind}`, frames: [syncMessage(rng.chance(0.5) ? 1 : 2, bad.update)] };
		}
		case 'awareness-spoof': {
			const victims = innocents.filter(() => rng.chance(0.7));
			const entries = victims.map((v) => ({
				client: v.doc.clientID,
				clock: rng.pick([
					(v.provider.awareness.meta.get(v.doc.clientID)?.clock ?? 0) + 1,
					1000 + rng.int(1000),
					2 ** 31 + rng.int(1000),
					Number.MAX_SAFE_INTEGER - rng.int(3)
				]),
				state: rng.chance(0.7) ? { user: { name: 'evil' } } : null
			}));
			return { kind, frames: [awarenessMessage(awarenessPayload(entries))] };
		}
		case 'awareness-ghosts': {
			const count = rng.range(100, 5000);
			const entries = Array.from({ length: count }, () => ({
				client: rng.clientId(),
				clock: 1,
				state: { user: { name: 'ghost' } }
			}));
			return { kind, frames: [awarenessMessage(awarenessPayload(entries))] };
		}
		case 'awareness-big':
			return {
				kind,
				frames: [
					awarenessMessage(
						awarenessPayload([
							{
								client: attackerClient,
								clock: rng.range(1, 1e6),
								state: { user: { name: 'big' }, blob: 'x'.repeat(rng.range(70_000, 200_000)) }
							}
						])
					)
				]
			};
		case 'flood-step1': {
			const sv = rng.chance(0.5) ? EMPTY_STATE_VECTOR : Y.encodeStateVectorFromUpdate(m.confirmed);
			return { kind, frames: Array.from({ length: rng.range(20, 80) }, () => step1Message(sv)) };
		}
		case 'flood-query-awareness':
			return { kind, frames: Array.from({ length: rng.range(20, 80) }, () => queryAwarenessMessage()) };
		default: {
			const base = kind.slice('mutated:'.length);
			let valid: Uint8Array;
			if (base === 'sync-step1') valid = step1Message(Y.encodeStateVectorFromUpdate(m.confirmed));
			else if (base === 'sync-step2' || base === 'sync-update') {
				const source = rng.chance(0.5)
					? badUpdate(m)?.update
					: rng.chance(0.5)
						? KNOWN_POISON
						: rng.pick([...m.innocentUpdates, KNOWN_POISON]);
				valid = syncMessage(base === 'sync-step2' ? 1 : 2, source ?? KNOWN_POISON);
			} else if (base === 'awareness')
				valid = awarenessMessage(
					awarenessPayload([{ client: attackerClient, clock: rng.range(1, 100), state: { user: { name: 'attacker' } } }])
				);
			else if (base === 'query-awareness') valid = queryAwarenessMessage();
			else valid = authMessage('permission denied');
			for (let tries = 0; tries < 6; tries++) {
				const { how, bytes } = mutate(valid, rng);
				const update = parsedUpdateOf(bytes);
				// A mutation that happens to be a legitimate write is not an attack: try another one.
				if (update && classify(update, m.confirmed) === 'applies') continue;
				return { kind: `${kind}/${how}`, frames: [bytes] };
			}
			return null;
		}
	}
}

// ---------------------------------------------------------------- one round

interface RoundResult {
	seed: number;
	docName: string;
	violations: Record<RuleId, string[]>;
	summary: string;
}

const hex = (seed: number) => `0x${seed.toString(16)}`;
const json = (value: unknown) => JSON.stringify(value);

async function runRound(seed: number, docName: string, restartSignal: NodeJS.Signals): Promise<RoundResult> {
	const plan = mulberry32(seed);
	const detail = mulberry32(seed ^ 0x9e3779b9);
	const round = new Round();
	const { violations } = round;
	const logStart = server.logs.length;

	// Innocent writers (the first with client id 1, which the known poison update points into) and an observer
	// that only reads: its doc is what the server has confirmed, the base of every hostile update.
	const writerCount = plan.range(2, 3);
	const writers = Array.from({ length: writerCount }, (_, i) =>
		connectInnocent(round, `writer${i}`, docName, innocentCookies[i % innocentCookies.length], i === 0 ? 1 : undefined)
	);
	const observer = connectInnocent(round, 'observer', docName, innocentCookies[0]);
	const innocents = [...writers, observer];
	await withTimeout(Promise.all(innocents.map((i) => whenSynced(i.provider))), GUARD_MS, 'innocent clients synced');
	for (const i of innocents) i.provider.awareness.setLocalStateField('user', { name: i.name });
	writers[0].doc.getText('t').insert(0, 'hello');
	await round.conditions.until(() => observer.doc.getText('t').toString().includes('hello'), GUARD_MS);

	const attackerCount = plan.range(2, 4);
	const attackers = Array.from(
		{ length: attackerCount },
		(_, i) => new Attacker(`attacker${i}`, round, docName, attackerCookies[i % attackerCookies.length])
	);
	const attackerClients = attackers.map(() => detail.clientId());
	await withTimeout(Promise.all(attackers.map((a) => a.opened)), GUARD_MS, 'attackers connected');

	let echoTimeouts = 0;
	for (round.step = 1; round.step <= STEPS; round.step++) {
		round.stepKinds[round.step] = [];
		const observerSv = observer.doc.store;
		const material: Material = {
			rng: detail,
			confirmed: Y.encodeStateAsUpdate(observer.doc),
			innocentUpdates: writers
				.flatMap((w) => w.updates.slice(-20))
				.filter((u) => [...Y.parseUpdateMeta(u).to].every(([client, clock]) => Y.getState(observerSv, client) >= clock)),
			innocentClients: writers.map((w) => w.doc.clientID)
		};
		// Innocent edits and attacks leave in the same synchronous block: they reach the server at the same moment.
		for (const w of writers) {
			if (!plan.chance(0.5)) continue;
			const edits = plan.range(1, 3);
			for (let e = 0; e < edits; e++) innocentLikeEdit(w.doc, plan, w.name);
			if (plan.chance(0.1)) w.provider.awareness.setLocalStateField('user', { name: w.name, step: round.step });
		}
		for (const [index, attacker] of attackers.entries()) {
			if (!plan.chance(0.6)) continue;
			const attack = makeAttack(plan, material, attackerClients[index], innocents);
			if (attack) attacker.send(attack.kind, attack.frames);
		}
		if (plan.chance(0.15)) {
			// Pace on the server: wait for the echo that acknowledges one writer's edits so far.
			const w = plan.pick(writers);
			const clock = ownClock(w);
			if (!(await round.conditions.until(() => w.acked >= clock, GUARD_MS))) echoTimeouts++;
		} else {
			const turns = plan.range(1, 3);
			for (let t = 0; t < turns; t++) await nextTurn();
		}
	}
	if (echoTimeouts > 0)
		violations['SYNC-FUZZ-2'].push(`a writer's echo did not arrive within ${GUARD_MS} ms, ${echoTimeouts} times`);

	// The attackers leave; the innocent clients converge and the server's echo covers every edit.
	round.step++;
	round.stepKinds[round.step] = [];
	await Promise.all(attackers.map((a) => a.stop()));
	const converged = await round.conditions.until(() => {
		// State vectors do not cover deletions: the content must be equal too.
		const sv = Y.encodeStateVector(observer.doc);
		const content = json(contentOf(observer.doc));
		return (
			innocents.every(
				(i) => Buffer.from(Y.encodeStateVector(i.doc)).equals(Buffer.from(sv)) && json(contentOf(i.doc)) === content
			) && writers.every((w) => w.acked >= ownClock(w))
		);
	}, GUARD_MS);
	const expectedSv = new Map(writers.filter((w) => ownClock(w) > 0).map((w) => [w.doc.clientID, ownClock(w)]));
	const expectedContent = json(contentOf(writers[0].doc));
	if (!converged) {
		violations['SYNC-FUZZ-1'].push(
			`innocent clients did not converge within ${GUARD_MS} ms: ` +
				innocents
					.map(
						(i) =>
							`${i.name} sv=${json(svObject(Y.decodeStateVector(Y.encodeStateVector(i.doc))))} acked=${i.acked}/${ownClock(i)}`
					)
					.join('; ')
		);
	}
	for (const i of innocents) {
		const sv = svObject(Y.decodeStateVector(Y.encodeStateVector(i.doc)));
		if (json(sv) !== json(svObject(expectedSv)))
			violations['SYNC-FUZZ-1'].push(
				`${i.name} holds content of other clients: sv=${json(sv)}, innocent=${json(svObject(expectedSv))}`
			);
		if (i.doc.store.pendingStructs || i.doc.store.pendingDs)
			violations['SYNC-FUZZ-1'].push(`${i.name} holds pending structs or deletes it received from the server`);
		if (converged && json(contentOf(i.doc)) !== expectedContent)
			violations['SYNC-FUZZ-1'].push(`${i.name} content ${contentDiff(json(contentOf(i.doc)), expectedContent)} (writer0's)`);
	}

	// Awareness: every innocent sets a final presence; each must see exactly the innocent ones.
	const finalNames = new Map(innocents.map((i) => [i.doc.clientID, `${i.name}-final`]));
	for (const i of innocents) i.provider.awareness.setLocalState({ user: { name: `${i.name}-final` } });
	const presenceRight = (i: Innocent) => {
		const states = i.provider.awareness.getStates();
		return (
			states.size === finalNames.size &&
			[...finalNames].every(([id, name]) => (states.get(id) as { user?: { name?: string } } | undefined)?.user?.name === name)
		);
	};
	if (!(await round.conditions.until(() => innocents.every(presenceRight), GUARD_MS))) {
		for (const i of innocents.filter((x) => !presenceRight(x))) {
			const states = i.provider.awareness.getStates();
			const foreign = [...states.keys()].filter((id) => !finalNames.has(id));
			const wrong = [...finalNames].filter(
				([id, name]) => (states.get(id) as { user?: { name?: string } } | undefined)?.user?.name !== name
			);
			violations['SYNC-FUZZ-4'].push(
				`${i.name} sees ${foreign.length} presences of no innocent client and ${wrong.length} innocent presences not as set` +
					(wrong.length ? ` (${wrong.map(([id]) => json(states.get(id) ?? null)).join(', ')})` : '')
			);
		}
	}
	for (const i of innocents) {
		for (const other of innocents) {
			const names = i.seenNames.get(other.doc.clientID);
			if (names?.has('evil')) violations['SYNC-FUZZ-4'].push(`${i.name} saw ${other.name}'s presence overwritten by an attacker`);
		}
		if (i.maxStates > innocents.length + 4 * attackers.length)
			violations['SYNC-FUZZ-4'].push(`${i.name} saw ${i.maxStates} presences at once (ghosts)`);
	}
	round.recording = false;

	// No innocent socket closed; the server alive.
	for (const i of innocents)
		for (const c of i.closes)
			violations['SYNC-FUZZ-2'].push(`${i.name} closed by the server with ${c.code} "${c.reason}" around ${json(c.around)}`);
	const alive = server.child.exitCode === null && server.child.signalCode === null;
	const health = alive
		? await fetch(`${server.url}/healthz`).then(
				(r) => r.status,
				() => 0
			)
		: 0;
	if (!alive || health !== 200)
		violations['SYNC-FUZZ-2'].push(`server not alive: exit=${server.child.exitCode} healthz=${health}`);

	// What the server sent: nothing beyond innocent content.
	const leaks = new Map<string, number>();
	for (const o of round.outputs) {
		for (const [client, clock] of o.to) {
			if (clock > (expectedSv.get(client) ?? 0)) {
				const key = `${o.kind} covering client ${client} to clock ${clock} (innocent: ${expectedSv.get(client) ?? 'none'})`;
				leaks.set(key, (leaks.get(key) ?? 0) + 1);
			}
		}
		if (o.kind.startsWith('undecodable')) leaks.set(o.kind, (leaks.get(o.kind) ?? 0) + 1);
	}
	for (const [what, n] of [...leaks].slice(0, 12)) violations['SYNC-FUZZ-3'].push(`server sent ${what} (${n}×)`);
	if (leaks.size > 12) violations['SYNC-FUZZ-3'].push(`… and ${leaks.size - 12} more`);

	// Stored: served to a fresh client now, and after a restart.
	const checkServed = async (when: string) => {
		try {
			const served = await withTimeout(fetchServedDoc(syncUrl(docName), innocentCookies[0], server.url), GUARD_MS, 'served doc');
			violations['SYNC-FUZZ-1'].push(...servedProblems(`${when}:`, served, expectedSv, expectedContent));
		} catch (error) {
			violations['SYNC-FUZZ-1'].push(`${when}: no doc served: ${String(error)}`);
		}
	};
	await checkServed('served before restart');
	for (const i of innocents) i.provider.destroy();
	const serverLog = server.logs.slice(logStart);
	await server.stop(restartSignal);
	server = await ServerProcess.start(env);
	await checkServed(`served after ${restartSignal} and restart`);

	const sent = new Map<string, number>();
	for (const a of attackers) for (const [k, n] of a.sent) sent.set(k.split('/')[0], (sent.get(k.split('/')[0]) ?? 0) + n);
	const closeCodes = new Map<number, number>();
	for (const a of attackers) for (const c of a.closes) closeCodes.set(c.code, (closeCodes.get(c.code) ?? 0) + 1);
	const logCounts = new Map<string, number>();
	for (const line of serverLog) {
		try {
			const entry = JSON.parse(line) as { level: number; msg: string; err?: unknown; reason?: unknown };
			if (entry.level < 40) continue;
			const key = `${entry.msg}${entry.err ? ` (${json(entry.err)})` : entry.reason ? ` (${json(entry.reason)})` : ''}`;
			logCounts.set(key, (logCounts.get(key) ?? 0) + 1);
		} catch {
			// not JSON
		}
	}
	const summary =
		`seed ${hex(seed)} doc ${docName}: ${writers.length} writers, ${attackers.length} attackers, ` +
		`edits ${json(svObject(expectedSv))}; attacks sent ${json(Object.fromEntries(sent))}; ` +
		`attacker closes by code ${json(Object.fromEntries(closeCodes))}; server warnings ${json(Object.fromEntries(logCounts))}`;
	return { seed, docName, violations, summary };
}

function servedProblems(when: string, served: Uint8Array, expectedSv: Map<number, number>, expectedContent: string): string[] {
	const problems: string[] = [];
	const doc = new Y.Doc();
	try {
		Y.applyUpdate(doc, served);
	} catch (error) {
		return [`${when} the served doc does not apply: ${String(error)}`];
	}
	const claimed = svObject(Y.decodeStateVector(Y.encodeStateVectorFromUpdate(served)));
	if (json(claimed) !== json(svObject(expectedSv)))
		problems.push(`${when} the served update covers ${json(claimed)}, the innocent edits are ${json(svObject(expectedSv))}`);
	const sv = svObject(Y.decodeStateVector(Y.encodeStateVector(doc)));
	if (json(sv) !== json(svObject(expectedSv)))
		problems.push(`${when} state vector ${json(sv)} differs from the innocent ${json(svObject(expectedSv))}`);
	if (doc.store.pendingStructs)
		problems.push(
			`${when} holds pending structs of clients ${json(svObject(Y.parseUpdateMeta(doc.store.pendingStructs.update).to))}`
		);
	if (doc.store.pendingDs) problems.push(`${when} holds a pending delete set`);
	if (json(contentOf(doc)) !== expectedContent)
		problems.push(`${when} content ${contentDiff(json(contentOf(doc)), expectedContent)} (the innocent content)`);
	return problems;
}

function report(result: RoundResult): string {
	const failing = RULES.filter((r) => result.violations[r].length > 0);
	return failing.length === 0
		? `ok ${result.summary}`
		: `FAIL ${result.summary}\n` + failing.map((r) => `  ${r}:\n    ${result.violations[r].join('\n    ')}`).join('\n');
}

// ---------------------------------------------------------------- focused reproducers

describe('SYNC-FUZZ reproducers', () => {
	it('SYNC-FUZZ-2 SYNC-INPUT-1: the known poison update sent together with an innocent edit harms only its sender', async () => {
		const round = new Round();
		const docName = `${clinic}/thread/poison`;
		const writer = connectInnocent(round, 'writer', docName, innocentCookies[0], 1);
		await withTimeout(whenSynced(writer.provider), GUARD_MS, 'writer synced');
		writer.doc.getText('t').insert(0, 'hello');
		await round.conditions.until(() => writer.acked >= ownClock(writer), GUARD_MS);
		const attacker = new Attacker('attacker', round, docName, attackerCookies[0]);
		const codes: number[] = [];
		for (let i = 0; i < 5; i++) {
			await round.conditions.until(() => attacker.ws !== null && attacker.ws.readyState === attacker.ws.OPEN, GUARD_MS);
			const closesBefore = attacker.closes.length;
			writer.doc.getText('t').insert(writer.doc.getText('t').length, ` w${i}`);
			attacker.send('known-poison', [syncMessage(2, KNOWN_POISON)]);
			await round.conditions.until(() => attacker.closes.length > closesBefore, GUARD_MS);
			codes.push(attacker.closes[closesBefore]?.code ?? -1);
			await round.conditions.until(() => writer.acked >= ownClock(writer), GUARD_MS);
		}
		await attacker.stop();
		round.recording = false;
		const served = await withTimeout(fetchServedDoc(syncUrl(docName), innocentCookies[0], server.url), GUARD_MS, 'served');
		writer.provider.destroy();
		expect(
			writer.closes.map((c) => `${c.code} ${c.reason}`),
			'the innocent writer is never closed'
		).toEqual([]);
		expect(codes, 'the poison closes its sender with 4400').toEqual([4400, 4400, 4400, 4400, 4400]);
		expect(writer.doc.getText('t').toString()).toBe('hello w0 w1 w2 w3 w4');
		const expectedSv = new Map([[1, ownClock(writer)]]);
		expect(servedProblems('served', served, expectedSv, json(contentOf(writer.doc)))).toEqual([]);
	});

	it('SYNC-FUZZ-1 SYNC-FUZZ-3: an update whose dependencies never arrive is neither acknowledged, served nor stored', async () => {
		const round = new Round();
		const docName = `${clinic}/thread/pending`;
		const writer = connectInnocent(round, 'writer', docName, innocentCookies[0]);
		await withTimeout(whenSynced(writer.provider), GUARD_MS, 'writer synced');
		writer.doc.getText('t').insert(0, 'hello');
		await round.conditions.until(() => writer.acked >= ownClock(writer), GUARD_MS);

		// The attacker's private doc: its first edit is withheld, the second one sent.
		const evil = new Y.Doc();
		evil.clientID = 0x4badbad;
		Y.applyUpdate(evil, Y.encodeStateAsUpdate(writer.doc));
		const evilUpdates: Uint8Array[] = [];
		evil.on('update', (u: Uint8Array) => evilUpdates.push(u));
		evil.getText('t').insert(5, ' first');
		evil.getText('t').insert(11, ' second');
		const attacker = new Attacker('attacker', round, docName, attackerCookies[0]);
		await withTimeout(attacker.opened, GUARD_MS, 'attacker open');
		const step2Before = round.outputs.filter((o) => o.where === 'attacker' && o.kind === 'step2').length;
		attacker.send('withheld-deps', [syncMessage(2, evilUpdates[1]), step1Message(EMPTY_STATE_VECTOR)]);
		// Either the server answers the step 1 (after the update was handled), or it closes the attacker.
		await round.conditions.until(
			() =>
				attacker.closes.length > 0 ||
				round.outputs.filter((o) => o.where === 'attacker' && o.kind === 'step2').length > step2Before,
			GUARD_MS
		);
		await attacker.stop();
		const leaks = round.outputs
			.filter((o) => o.to.has(evil.clientID))
			.map((o) => `${o.where} got ${o.kind} covering the pending update`);
		expect(leaks, 'nothing the server sends covers the pending update').toEqual([]);
		const expectedSv = new Map([[writer.doc.clientID, ownClock(writer)]]);
		const expected = json(contentOf(writer.doc));
		const served = await withTimeout(fetchServedDoc(syncUrl(docName), innocentCookies[0], server.url), GUARD_MS, 'served');
		expect(servedProblems('served', served, expectedSv, expected)).toEqual([]);
		writer.provider.destroy();
		// A graceful stop compacts the doc: the snapshot must not carry the pending update either.
		await server.stop('SIGTERM');
		server = await ServerProcess.start(env);
		const reloaded = await withTimeout(
			fetchServedDoc(syncUrl(docName), innocentCookies[0], server.url),
			GUARD_MS,
			'served after restart'
		);
		expect(servedProblems('served after restart', reloaded, expectedSv, expected)).toEqual([]);
	});

	it('SYNC-FUZZ-4: awareness claiming another client’s id, or thousands of ids, changes no innocent presence', async () => {
		const round = new Round();
		const docName = `${clinic}/thread/presence`;
		const a = connectInnocent(round, 'a', docName, innocentCookies[0]);
		const b = connectInnocent(round, 'b', docName, innocentCookies[1]);
		await withTimeout(Promise.all([whenSynced(a.provider), whenSynced(b.provider)]), GUARD_MS, 'synced');
		a.provider.awareness.setLocalState({ user: { name: 'a' } });
		b.provider.awareness.setLocalState({ user: { name: 'b' } });
		const sees = (i: Innocent, id: number, name: string) =>
			(i.provider.awareness.getStates().get(id) as { user?: { name?: string } } | undefined)?.user?.name === name;
		await round.conditions.until(() => sees(b, a.doc.clientID, 'a') && sees(a, b.doc.clientID, 'b'), GUARD_MS);

		const attacker = new Attacker('attacker', round, docName, attackerCookies[1]);
		await withTimeout(attacker.opened, GUARD_MS, 'attacker open');
		const aClock = a.provider.awareness.meta.get(a.doc.clientID)!.clock;
		const ghosts = Array.from({ length: 5000 }, (_, i) => ({
			client: 0x50000000 + i,
			clock: 1,
			state: { user: { name: 'ghost' } }
		}));
		const own = 0x4a11a11;
		attacker.send('awareness', [
			awarenessMessage(awarenessPayload([{ client: a.doc.clientID, clock: aClock + 1000, state: { user: { name: 'evil' } } }])),
			awarenessMessage(awarenessPayload(ghosts)),
			awarenessMessage(awarenessPayload([{ client: own, clock: 1, state: { user: { name: 'barrier' } } }]))
		]);
		// Whatever the server relayed of the attack reaches b before a's next presence does (one socket, in order).
		await round.conditions.until(() => sees(b, own, 'barrier') || attacker.closes.length > 0, GUARD_MS);
		a.provider.awareness.setLocalState({ user: { name: 'a2' } });
		await round.conditions.until(() => sees(b, a.doc.clientID, 'a2'), GUARD_MS);
		const maxStates = b.maxStates;
		await attacker.stop();
		await round.conditions.until(() => b.provider.awareness.getStates().size === 2, GUARD_MS);
		const left = b.provider.awareness.getStates().size;
		a.provider.destroy();
		b.provider.destroy();
		expect([...(b.seenNames.get(a.doc.clientID) ?? [])], 'b never sees a as the attacker set it').not.toContain('evil');
		expect([...(a.seenNames.get(a.doc.clientID) ?? [])], 'a’s own presence is never overwritten').not.toContain('evil');
		expect(maxStates, 'presences a socket may add are capped').toBeLessThanOrEqual(2 + 4);
		expect(left, 'the attacker’s presences go when it leaves').toBe(2);
	});
});

// ---------------------------------------------------------------- the fuzz rounds

if (FUZZ_SECONDS > 0) {
	describe('SYNC-FUZZ long run', () => {
		it(
			`SYNC-FUZZ-1..4 over fresh seeds for ${FUZZ_SECONDS} s`,
			async () => {
				const deadline = Date.now() + FUZZ_SECONDS * 1000;
				const failing: string[] = [];
				let rounds = 0;
				while (Date.now() < deadline) {
					const seed = randomInt(1, 2 ** 31);
					const result = await runRound(seed, `${clinic}/thread/fz-${seed.toString(16)}`, rounds % 2 ? 'SIGKILL' : 'SIGTERM');
					rounds++;
					const text = report(result);
					console.log(text);
					if (text.startsWith('FAIL'))
						failing.push(`seed ${hex(seed)}: ${RULES.filter((r) => result.violations[r].length).join(', ')}`);
				}
				console.log(`SYNC-FUZZ long run: ${rounds} rounds, ${failing.length} failing`);
				expect(failing).toEqual([]);
			},
			FUZZ_SECONDS * 1000 + 180_000
		);
	});
} else {
	for (const [index, seed] of CI_SEEDS.entries()) {
		describe(`SYNC-FUZZ seed ${hex(seed)}`, () => {
			let result: RoundResult;
			beforeAll(async () => {
				const docName =
					index % 2 ? `${clinic}/schedule/2026-${String(index + 1).padStart(2, '0')}` : `${clinic}/thread/fuzz-${index}`;
				result = await runRound(seed, docName, index % 2 ? 'SIGKILL' : 'SIGTERM');
				console.log(report(result));
			}, 120_000);
			it('SYNC-FUZZ-1: every innocent edit is stored, and nothing of the attackers', () => {
				expect(result.violations['SYNC-FUZZ-1'], result.summary).toEqual([]);
			});
			it('SYNC-FUZZ-2: no innocent socket is closed by the server, and the server stays up', () => {
				expect(result.violations['SYNC-FUZZ-2'], result.summary).toEqual([]);
			});
			it('SYNC-FUZZ-3: nothing of a bad or pending update is relayed or acknowledged', () => {
				expect(result.violations['SYNC-FUZZ-3'], result.summary).toEqual([]);
			});
			it('SYNC-FUZZ-4: once the attackers are gone, every innocent sees exactly the innocent presences', () => {
				expect(result.violations['SYNC-FUZZ-4'], result.summary).toEqual([]);
			});
		});
	}
}
