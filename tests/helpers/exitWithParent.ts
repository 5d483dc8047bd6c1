/**
 * Preloaded into every server a test starts (`node --import …`): the server ends when the test process that
 * started it is gone, so a run killed halfway (Ctrl-C, a timeout, SIGKILL) leaves no server behind holding its port
 * and its data folder. Test code only; the server itself knows nothing of it.
 */
const starter = process.ppid;
setInterval(() => {
	// An orphan is handed to another parent at once; a parent killed but not yet reaped still answers signal 0.
	if (process.ppid !== starter) process.exit(1);
	try {
		// Signal 0 checks that the process exists without touching it.
		process.kill(starter, 0);
	} catch {
		process.exit(1);
	}
}, 1000).unref();

export {};
