import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import type { SyncHooks, SyncServer } from '../sync/index.ts';
import { changeClinicProfile, clinicProfile } from '../../src/lib/domain/clinicSettings.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';

const ORIGIN = { source: 'job', name: 'clinic-name' } as const satisfies TransactionOrigin;

/**
 * One clinic name for the app and the CLI (ADMIN-NAME-1): the directory doc holds it (admins rename the clinic in
 * Settings, also offline), the `clinics` row follows each committed change, and a directory without a name yet
 * (a clinic made with the CLI) gets the row's name when it is first loaded.
 */
export function clinicNameMirror(
	store: Pick<Store, 'clinics'>,
	sync: () => Pick<SyncServer, 'read' | 'write'>,
	logger: Logger
): SyncHooks {
	const failed = (clinicId: string) => (error: unknown) =>
		logger.error({ clinicId, err: errorMessage(error) }, 'keeping the clinic name in step failed');

	async function nameFromRow(docName: string, clinicId: string): Promise<void> {
		const clinic = await store.clinics.get(clinicId);
		if (!clinic) return;
		await sync().write(docName, ORIGIN, (doc) => {
			// An admin may have named it meanwhile: theirs wins.
			if (clinicProfile(doc).name === '') changeClinicProfile(doc, { name: clinic.name });
		});
	}

	async function rowFromDoc(docName: string, clinicId: string): Promise<void> {
		const name = await sync().read(docName, (doc) => clinicProfile(doc).name);
		const clinic = await store.clinics.get(clinicId);
		if (name !== '' && clinic && clinic.name !== name) await store.clinics.rename(clinicId, name);
	}

	return {
		onLoaded({ docName, clinicId, kind, doc }) {
			// Not from inside the load: the write goes through the server's own handle once the doc is there.
			if (kind === 'directory' && clinicProfile(doc).name === '') {
				setImmediate(() => void nameFromRow(docName, clinicId).catch(failed(clinicId)));
			}
		},
		onCommitted({ docName, clinicId, kind, origin }) {
			// Its own write names the clinic as the row already does: nothing to follow.
			if (kind === 'directory' && !(origin.source === 'job' && origin.name === ORIGIN.name))
				void rowFromDoc(docName, clinicId).catch(failed(clinicId));
		}
	};
}
