import { connectProvider, whenDoc, whenSynced } from '../../tests/helpers/client.ts';

/**
 * The relay alone, for the reference: one y-websocket client in this process types into a doc of our server at a
 * steady pace and `readers` others receive it; milliseconds from each insert to each reader holding it, on this
 * process's one clock. No browser, no editor, no IndexedDB: what the server and the sockets add by themselves.
 */
export async function relayLatencies(
	server: { wsUrl: string; url: string },
	cookie: string,
	docName: string,
	opts: { readers: number; keys: number; gapMs: number }
): Promise<number[]> {
	// y-websocket adds an exit listener per provider in Node.
	process.setMaxListeners(Math.max(process.getMaxListeners(), opts.readers + 11));
	const connect = () => connectProvider(server.wsUrl, docName, { cookie, origin: server.url });
	const writer = connect();
	const readers = Array.from({ length: opts.readers }, connect);
	await Promise.all([writer, ...readers].map(whenSynced));
	const sentAt: number[] = [];
	const latencies: number[] = [];
	for (const reader of readers) {
		const text = reader.doc.getText('body');
		let seen = text.length;
		reader.doc.on('update', () => {
			const at = performance.now();
			for (; seen < text.length; seen++) latencies.push(at - sentAt[seen]);
		});
	}
	const text = writer.doc.getText('body');
	for (let i = 0; i < opts.keys; i++) {
		sentAt.push(performance.now());
		text.insert(text.length, 'abcçdefgğhıijklmnoöprsştuüvyz '[i % 30]);
		await new Promise((resolve) => setTimeout(resolve, opts.gapMs));
	}
	await Promise.all(readers.map((r) => whenDoc(r.doc, (d) => d.getText('body').length >= opts.keys)));
	for (const provider of [writer, ...readers]) provider.destroy();
	return latencies;
}
