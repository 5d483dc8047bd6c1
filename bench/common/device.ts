import type { Page } from 'playwright-core';

/**
 * Empties the device's IndexedDB, keeping the session (a cookie). Run it with `page.evaluate` on a page of the app's
 * origin that has no database open (e.g. `/healthz`), or the deletion waits for the app to close it.
 */
export function emptyDevice(): Promise<void> {
	return indexedDB.databases().then((dbs) =>
		Promise.all(
			dbs.map(
				(d) =>
					new Promise<void>((resolve) => {
						const req = indexedDB.deleteDatabase(d.name!);
						req.onsuccess = req.onerror = () => resolve();
					})
			)
		).then(() => undefined)
	);
}

/**
 * Resolves once the device's IndexedDB table `table` holds at least `rows` rows, read every half second (setup only,
 * never timed): a screen's `data-ready` says its table is current with the docs the device has, not that the docs
 * have all come.
 */
export async function untilDeviceHolds(page: Page, table: string, rows: number, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const held = await page.evaluate(countRows, table);
		if (held >= rows) return;
		if (Date.now() > deadline)
			throw new Error(`the device holds ${held} rows of ${table}, not ${rows}, after ${timeoutMs / 1000} s`);
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

/**
 * Rows of one table of the app's database; 0 before the app made it (opening it here would make an empty one).
 * Serialized into the page: no named inner functions (tsx would wrap them in a helper the page lacks).
 */
async function countRows(table: string): Promise<number> {
	if (!(await indexedDB.databases()).some((d) => d.name === 'frontdesk')) return 0;
	const db = await new Promise<IDBDatabase>((resolve, reject) => {
		const open = indexedDB.open('frontdesk');
		open.onsuccess = () => resolve(open.result);
		open.onerror = () => reject(open.error ?? new Error('cannot open the device database'));
	});
	try {
		if (!db.objectStoreNames.contains(table)) return 0;
		return await new Promise<number>((resolve, reject) => {
			const count = db.transaction(table).objectStore(table).count();
			count.onsuccess = () => resolve(count.result);
			count.onerror = () => reject(count.error ?? new Error(`cannot count ${table}`));
		});
	} finally {
		db.close();
	}
}
