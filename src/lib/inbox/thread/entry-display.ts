import type { ThreadEntry } from '$lib/domain/thread.ts';

/**
 * How an entry reads on screen, decided once from its kind, type and details (all read-validated by the domain but
 * still `unknown` inside `details`): the components only lay it out.
 */
export type EntryBody =
	| { kind: 'text' }
	| { kind: 'media'; media: 'image' | 'audio' | 'video' | 'document' | 'sticker' }
	| { kind: 'location'; latitude: number; longitude: number; name: string; address: string }
	| { kind: 'contacts'; people: { name: string; phones: string[] }[] }
	| { kind: 'reaction'; emoji: string }
	| { kind: 'button'; title: string }
	| { kind: 'template'; name: string; params: string[] }
	| { kind: 'unsupported'; type: string }
	| { kind: 'call'; outcome: 'answered' | 'missed' | 'voicemail'; seconds: number; from: string }
	| { kind: 'form'; fields: [string, string][] };

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const obj = (v: unknown): Record<string, unknown> =>
	v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export function entryBody(e: ThreadEntry): EntryBody {
	const d = e.details;
	if (e.kind === 'call') {
		const call = obj(d.call ?? d);
		const outcome = call.outcome === 'missed' || call.outcome === 'voicemail' ? call.outcome : 'answered';
		return { kind: 'call', outcome, seconds: num(call.durationSeconds), from: str(call.from) };
	}
	if (e.kind === 'form') {
		const fields = obj(d.fields);
		return { kind: 'form', fields: Object.entries(fields).map(([k, v]) => [k, str(v)]) };
	}
	const type = e.messageType;
	if (type.startsWith('unsupported:')) return { kind: 'unsupported', type: type.slice('unsupported:'.length) };
	switch (type) {
		case 'image':
		case 'audio':
		case 'video':
		case 'document':
		case 'sticker':
			return { kind: 'media', media: type };
		case 'location': {
			const l = obj(d.location ?? d);
			return {
				kind: 'location',
				latitude: num(l.latitude),
				longitude: num(l.longitude),
				name: str(l.name),
				address: str(l.address)
			};
		}
		case 'contacts': {
			const list = Array.isArray(d.contacts) ? d.contacts : [];
			return {
				kind: 'contacts',
				people: list.slice(0, 20).map((c) => {
					const o = obj(c);
					const phones = Array.isArray(o.phones) ? o.phones.map(str).filter(Boolean) : [];
					return { name: str(o.name) || str(obj(o.name).formatted_name), phones };
				})
			};
		}
		case 'reaction':
			return { kind: 'reaction', emoji: str(obj(d.reaction).emoji) || str(d.emoji) || e.text };
		case 'button':
		case 'interactive':
			return { kind: 'button', title: e.text || str(obj(d.button).title) || str(d.title) };
		case 'template': {
			const tpl = obj(d.template);
			return { kind: 'template', name: str(tpl.name), params: Array.isArray(tpl.params) ? tpl.params.map(str) : [] };
		}
		default:
			return { kind: 'text' };
	}
}

/** `m:ss` or `h:mm:ss` for a call's length. */
export function duration(seconds: number): string {
	const s = Math.max(0, Math.round(seconds));
	const h = Math.floor(s / 3600);
	const m = Math.floor((s % 3600) / 60);
	const rest = String(s % 60).padStart(2, '0');
	return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}
