import { docNames } from '../../src/lib/domain/docName.ts';
import { addPractitioner, type Practitioner } from '../../src/lib/domain/directory.ts';
import { connectProvider, whenDoc, whenSynced } from './client.ts';

/** Writes practitioners into a clinic's directory doc through the real sync endpoint, as a device would. */
export async function seedPractitioners(
	wsUrl: string,
	origin: string,
	cookie: string,
	clinicId: string,
	names: string[]
): Promise<Practitioner[]> {
	const name = docNames.directory(clinicId);
	const writer = connectProvider(wsUrl, name, { cookie, origin });
	// A refused write (a role that may only read the directory: 4405) fails here instead of waiting forever.
	const refused = new Promise<never>((_, reject) =>
		writer.on('connection-close', (event) => reject(new Error(`the directory write was refused (${event?.code})`)))
	);
	refused.catch(() => {});
	await whenSynced(writer);
	const added = names.map((n, i) => addPractitioner(writer.doc, { name: n, color: ['#0f766e', '#7c3aed', '#c2410c'][i % 3] }));
	// A second client reading them back proves they are on the server (relayed only once durable).
	const reader = connectProvider(wsUrl, name, { cookie, origin });
	await Promise.race([whenDoc(reader.doc, (d) => d.getMap('practitioners').size >= names.length), refused]);
	reader.destroy();
	writer.destroy();
	return added;
}
