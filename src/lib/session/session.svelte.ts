import { api, errorCode, type PublicUser } from '$lib/api/client.ts';
import { FrontdeskDatabase } from '$lib/local/index.ts';
import { ClinicSync } from '$lib/sync/clinic-sync.svelte.ts';

export type SignInResult = 'ok' | 'wrong' | 'too-many' | 'unreachable' | 'invalid';

const USER_KEY = 'frontdesk.user';

/**
 * Who is signed in on this device, and the device's clinic data. The user is remembered on the device so the app
 * opens offline; signing out, or learning that the session ended elsewhere, wipes every local trace.
 */
class DeviceSignIn {
	user = $state<PublicUser | null>(null);
	/** Set when the server ended the session (revoked from another device, expired). */
	endedElsewhere = $state(false);
	#sync: ClinicSync | null = null;
	#db: FrontdeskDatabase | null = null;

	constructor() {
		if (typeof localStorage === 'undefined') return;
		const saved = localStorage.getItem(USER_KEY);
		if (saved) {
			try {
				this.user = JSON.parse(saved) as PublicUser;
			} catch {
				localStorage.removeItem(USER_KEY);
			}
		}
	}

	/** The signed-in device's synced docs (created on first use after sign-in). */
	get sync(): ClinicSync {
		if (!this.user) throw new Error('no user is signed in');
		this.#db ??= new FrontdeskDatabase();
		this.#sync ??= new ClinicSync(this.#db, this.user.role, () => void this.end(true));
		return this.#sync;
	}

	async signIn(email: string, password: string): Promise<SignInResult> {
		try {
			const { user } = await api.auth.login.mutate({ email, password });
			localStorage.setItem(USER_KEY, JSON.stringify(user));
			this.endedElsewhere = false;
			this.user = user;
			return 'ok';
		} catch (error) {
			const code = errorCode(error);
			if (code === 'UNAUTHORIZED') return 'wrong';
			if (code === 'TOO_MANY_REQUESTS') return 'too-many';
			if (code === 'BAD_REQUEST') return 'invalid';
			return 'unreachable';
		}
	}

	/** Asks the server whether the session still stands; ends it here if not. Offline, nothing changes. */
	async verify(): Promise<void> {
		if (!this.user) return;
		try {
			const { user } = await api.auth.me.query();
			if (!user) await this.end(true);
		} catch {
			// Unreachable: keep working offline; the next contact decides.
		}
	}

	async signOut(): Promise<void> {
		try {
			await api.auth.logout.mutate();
		} catch {
			// Offline or already ended: the local wipe below still happens.
		}
		await this.end(false);
	}

	/** Wipes the device: sockets, IndexedDB, the remembered user. */
	async end(elsewhere: boolean): Promise<void> {
		const sync = this.#sync;
		const db = this.#db;
		this.#sync = null;
		this.#db = null;
		this.user = null;
		this.endedElsewhere = elsewhere;
		localStorage.removeItem(USER_KEY);
		await sync?.destroy();
		if (db) await db.delete();
		else await new FrontdeskDatabase().delete();
	}
}

export const session = new DeviceSignIn();
