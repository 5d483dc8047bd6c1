import { api, errorCode, type PublicUser } from '$lib/api/client.ts';
import { FrontdeskDatabase, readUnsent, unsentCount, type UnsentDoc } from '$lib/local/index.ts';
import { ClinicSync } from '$lib/sync/clinic-sync.svelte.ts';

export type SignInResult = 'ok' | 'wrong' | 'too-many' | 'unreachable' | 'invalid';

const USER_KEY = 'frontdesk.user';

/**
 * Who is signed in on this device, and the device's clinic data. The user is remembered on the device so the app
 * opens offline; signing out, or learning that the session ended elsewhere, wipes every local trace — but never
 * silently what the server has not confirmed: sign-out asks first (`SignOutFlow`), and a session ended elsewhere
 * shows the lost changes (`lostChanges`) and wipes once the person has seen them.
 */
class DeviceSignIn {
	user = $state<PublicUser | null>(null);
	/** Set when the server ended the session (revoked from another device, deactivated, expired). */
	endedElsewhere = $state(false);
	/**
	 * The server ended the session while the device held changes it never confirmed: what they were, shown until
	 * the person acknowledges (`acknowledgeLoss`), which wipes. The data stays on the device until then, so a reload
	 * in between shows them again.
	 */
	lostChanges = $state<UnsentDoc[] | null>(null);
	#sync: ClinicSync | null = null;
	#db: FrontdeskDatabase | null = null;
	#ending: Promise<void> | null = null;

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
		if (this.user) this.#openSync(this.user);
	}

	/** The device's database (its query tables), while someone is signed in. */
	get db(): FrontdeskDatabase {
		if (!this.user) throw new Error('no user is signed in');
		this.#openSync(this.user);
		return this.#db!;
	}

	/** The signed-in device's synced docs. */
	get sync(): ClinicSync {
		if (!this.user) throw new Error('no user is signed in');
		return this.#sync ?? this.#openSync(this.user);
	}

	/**
	 * Opened at start and at sign-in, never first inside a component's render: Svelte does not track state read by
	 * the reaction that created it, so a status created while rendering would never update there.
	 */
	#openSync(user: PublicUser): ClinicSync {
		if (!this.#db) {
			this.#db = new FrontdeskDatabase();
			// Opened now, while the page's modules still evaluate, rather than by the first screen's first read: opening
			// takes round trips to the browser's database process that would otherwise come before that read. A failure
			// is not lost: every read of the database rejects with it.
			this.#db.open().catch(() => undefined);
		}
		this.#sync ??= new ClinicSync(this.#db, user, () => void this.endedByServer());
		return this.#sync;
	}

	async signIn(email: string, password: string): Promise<SignInResult> {
		try {
			const { user } = await api.auth.login.mutate({ email, password });
			this.adopt(user);
			return 'ok';
		} catch (error) {
			const code = errorCode(error);
			if (code === 'UNAUTHORIZED') return 'wrong';
			if (code === 'TOO_MANY_REQUESTS') return 'too-many';
			if (code === 'BAD_REQUEST') return 'invalid';
			return 'unreachable';
		}
	}

	/**
	 * Takes on a user the server has just signed in by its cookie (e.g. after accepting an invitation). Another user
	 * still signed in here must sign out first: their docs are open under their role.
	 */
	adopt(user: PublicUser): void {
		if (this.user && this.user.id !== user.id) throw new Error('another user is signed in on this device');
		localStorage.setItem(USER_KEY, JSON.stringify(user));
		this.endedElsewhere = false;
		this.lostChanges = null;
		this.user = user;
		this.#openSync(user);
	}

	/** Asks the server whether the session still stands; ends it here if not. Offline, nothing changes. */
	async verify(): Promise<void> {
		if (!this.user) return;
		try {
			const { user } = await api.auth.me.query();
			if (!user) await this.endedByServer();
		} catch {
			// Unreachable: keep working offline; the next contact decides.
		}
	}

	/** What this device holds that the server has not confirmed (nothing when signed out). */
	async unsent(): Promise<UnsentDoc[]> {
		return this.user ? this.sync.unsent() : [];
	}

	/** Ends the session on the server and wipes the device now; the caller has asked about unsent changes first. */
	async signOut(): Promise<void> {
		try {
			await api.auth.logout.mutate();
		} catch {
			// Offline or already ended: the local wipe below still happens.
		}
		await this.end(false);
	}

	/**
	 * The server ended the session (a socket refused, `auth.me` without a user). Sockets close at once; the wipe waits
	 * for the person to see what was not sent, if anything was. Every doc's socket reports it: one ending runs.
	 */
	endedByServer(): Promise<void> {
		this.#ending ??= this.#endedByServer();
		return this.#ending;
	}

	async #endedByServer(): Promise<void> {
		await this.#sync?.destroy();
		this.#db ??= new FrontdeskDatabase();
		const unsent = await readUnsent(this.#db).catch(() => []);
		if (unsentCount(unsent) === 0) return this.end(true);
		this.lostChanges = unsent;
	}

	/** The person has seen the changes that were not sent: the device wipes. */
	async acknowledgeLoss(): Promise<void> {
		await this.end(true);
	}

	/** Wipes the device: sockets, IndexedDB, the remembered user. */
	async end(elsewhere: boolean): Promise<void> {
		const sync = this.#sync;
		const db = this.#db;
		this.#sync = null;
		this.#db = null;
		this.user = null;
		this.endedElsewhere = elsewhere;
		this.lostChanges = null;
		localStorage.removeItem(USER_KEY);
		await sync?.destroy();
		if (db) await db.delete();
		else await new FrontdeskDatabase().delete();
		this.#ending = null;
	}
}

export const session = new DeviceSignIn();
