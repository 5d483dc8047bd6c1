import { getContext, setContext } from 'svelte';
import type { DeviceInbox } from './device-inbox.svelte.ts';

const KEY = Symbol('device-inbox');

/** The signed-in app's one `DeviceInbox`, made by the app's layout and read by the inbox's screens. */
export function provideDeviceInbox(inbox: DeviceInbox): void {
	setContext(KEY, inbox);
}

export function deviceInbox(): DeviceInbox {
	const inbox = getContext<DeviceInbox | undefined>(KEY);
	if (!inbox) throw new Error('the inbox is only available inside the signed-in app');
	return inbox;
}
