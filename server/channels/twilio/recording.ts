import { readBounded } from '../meta/graph.ts';
import { MEDIA_LIMITS } from '../mediaLimits.ts';

/** A voicemail's recording from Twilio's API (`<RecordingUrl>.mp3`), with basic auth (AccountSid, auth token). */
export async function fetchRecording(
	recordingUrl: string,
	accountSid: string,
	authToken: string
): Promise<{ ok: true; data: Buffer; mime: string } | { ok: false; code: string; message: string }> {
	const auth = 'Basic ' + Buffer.from(`${accountSid}:${authToken}`).toString('base64');
	const res = await fetch(`${recordingUrl}.mp3`, { headers: { authorization: auth }, signal: AbortSignal.timeout(60_000) });
	if (!res.ok || !res.body) return { ok: false, code: `twilio_${res.status}`, message: 'the recording could not be fetched' };
	const data = await readBounded(res.body, MEDIA_LIMITS.audio);
	return data ? { ok: true, data, mime: 'audio/mpeg' } : { ok: false, code: 'media_too_large', message: 'recording too large' };
}
