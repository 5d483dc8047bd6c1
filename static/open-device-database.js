// Starts opening the device's database as the page starts, a hundred milliseconds or more before the app's modules
// are loaded and ask for it: the browser's first opening of it (its files) is the slowest step of reading anything
// from it (70-90 ms on a 2-core machine, measured in the week's benchmark), and the app's own opening then finds it
// ready. The name is the app's (`DATABASE_NAME` in src/lib/local/db.ts). A device without the database gets none
// from here: only the app creates it, with its tables. The connection never stands in the way of the app's upgrades
// or of sign-out deleting the database, and is closed soon.
(() => {
	if (typeof indexedDB === 'undefined') return;
	let request;
	try {
		request = indexedDB.open('frontdesk');
	} catch {
		return;
	}
	request.onupgradeneeded = () => request.transaction?.abort();
	request.onerror = (event) => event.preventDefault();
	request.onsuccess = () => {
		const db = request.result;
		db.onversionchange = () => db.close();
		setTimeout(() => db.close(), 10_000);
	};
})();
