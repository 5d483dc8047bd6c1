import fs from 'node:fs';

/**
 * `node --import tsx bench/tools/cpuprofile-top.ts <file.cpuprofile> [count]`: the functions with the
 * most self time in a V8 CPU profile (as written by `node --cpu-prof`), the files that hold it, and the
 * functions with the most total time (self plus callees), so a profile can be read without DevTools.
 */
interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	hitCount?: number;
	children?: number[];
}

interface Profile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
}

function main(file: string | undefined, count: number): void {
	if (!file) throw new Error('usage: cpuprofile-top.ts <file.cpuprofile> [count]');
	const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const parentOf = new Map<number, number>();
	for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
	// Self time per node: each sample's time delta belongs to the node sampled.
	const selfUs = new Map<number, number>();
	let totalUs = 0;
	profile.samples.forEach((id, i) => {
		const dt = profile.timeDeltas[i] ?? 0;
		selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
		totalUs += dt;
	});
	const label = (id: number) => {
		const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
		return `${functionName || '(anonymous)'}  ${shorten(url)}${url ? `:${lineNumber + 1}` : ''}`;
	};
	// Total time: each sample counts once for every distinct function on its stack (recursion counted once).
	const totalByFunction = new Map<string, number>();
	for (const [id, us] of selfUs) {
		const seen = new Set<string>();
		for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
			const key = label(at);
			if (seen.has(key) || key.startsWith('(root)')) continue;
			seen.add(key);
			totalByFunction.set(key, (totalByFunction.get(key) ?? 0) + us);
		}
	}
	const byFunction = new Map<string, number>();
	const byFile = new Map<string, number>();
	let idleUs = 0;
	for (const [id, us] of selfUs) {
		const { functionName, url } = byId.get(id)!.callFrame;
		if (functionName === '(idle)') idleUs += us;
		const short = shorten(url);
		const key = label(id);
		byFunction.set(key, (byFunction.get(key) ?? 0) + us);
		const fileKey = short || functionName;
		byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
	}
	const busyUs = totalUs - idleUs;
	const print = (title: string, map: Map<string, number>) => {
		console.log(`\n${title} (share of busy time ${(busyUs / 1e6).toFixed(1)} s; idle ${(idleUs / 1e6).toFixed(1)} s)`);
		for (const [key, us] of [...map]
			.filter(([k]) => !k.startsWith('(idle)'))
			.sort((a, b) => b[1] - a[1])
			.slice(0, count)) {
			console.log(`  ${((us / busyUs) * 100).toFixed(1).padStart(5)}%  ${key}`);
		}
	};
	print('Top functions by self time', byFunction);
	print('Top files by self time', byFile);
	print('Top functions by total time (self + callees)', totalByFunction);
}

/** node_modules paths shortened to package/file, project paths to their path under the root. */
function shorten(url: string): string {
	const nm = url.lastIndexOf('/node_modules/');
	if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
	const root = url.indexOf('/work/main/');
	return root >= 0 ? url.slice(root + '/work/main/'.length) : url.replace(/^file:\/\//, '');
}

main(process.argv[2], Number(process.argv[3] ?? 25));
