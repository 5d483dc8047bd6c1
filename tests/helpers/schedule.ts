import type { Page } from 'playwright-core';

/** The schedule screen once it shows what the device holds. */
export const SCHEDULE_READY = '[data-testid="day-view"][data-ready="true"]';
export const APPOINTMENT_FORM = '[data-testid="appointment-form"]';

/** An appointment card of this patient on the calendar. */
export const appointmentCard = (patient: string) => `[data-testid="appointment"]:has-text("${patient}")`;

export interface Booking {
	patient: string;
	/** `HH:mm` on the day shown. */
	time: string;
	minutes?: number;
	/** For a patient the device does not know yet: added with this phone (optional). */
	phone?: string;
	/** Wait for the card to show (default true). */
	wait?: boolean;
}

/**
 * Books as staff do: "New appointment", find the patient by name (or add them when the device has nobody of that
 * name), the time, the length, save.
 */
export async function bookAppointment(page: Page, booking: Booking): Promise<void> {
	await page.click('[data-testid="new-appointment"]');
	await pickPatient(page, booking.patient, booking.phone);
	await page.fill(`${APPOINTMENT_FORM} input[name="time"]`, booking.time);
	if (booking.minutes !== undefined)
		await page.fill(`${APPOINTMENT_FORM} input[name="durationMinutes"]`, String(booking.minutes));
	await page.click(`${APPOINTMENT_FORM} button[type="submit"]`);
	if (booking.wait !== false) {
		await page.waitForSelector(APPOINTMENT_FORM, { state: 'detached' });
		await page.waitForSelector(appointmentCard(booking.patient));
	}
}

/** In the open appointment dialog: picks the patient of this exact name, or adds them. */
export async function pickPatient(page: Page, patient: string, phone?: string): Promise<void> {
	await page.fill(`${APPOINTMENT_FORM} input[name="patientSearch"]`, patient);
	const create = page.locator(`${APPOINTMENT_FORM} [data-testid="create-patient"]`);
	await create.waitFor();
	// The search answers after the "new patient" line is drawn for the text typed: wait for its answer.
	await page.waitForFunction(
		(form) => document.querySelector(`${form} [role="listbox"]`)?.getAttribute('data-answered') === 'true',
		APPOINTMENT_FORM
	);
	const existing = page.locator(`${APPOINTMENT_FORM} [data-testid="patient-option"]`, { hasText: patient });
	if ((await existing.count()) > 0) {
		await existing.first().dispatchEvent('pointerdown');
	} else {
		await create.dispatchEvent('pointerdown');
		await page.fill(`${APPOINTMENT_FORM} input[name="newPatientName"]`, patient);
		if (phone) await page.fill(`${APPOINTMENT_FORM} input[name="newPatientPhone"]`, phone);
		await page.click(`${APPOINTMENT_FORM} [data-testid="create-patient-save"]`);
	}
	await page.waitForSelector(`${APPOINTMENT_FORM} [data-testid="picked-patient"]:has-text("${patient}")`);
}

/**
 * From the page's next load on, records what each appointment card's name said when it first reached the page
 * (a card drawn first with a placeholder and named a moment later shows up as "…"). Read with `firstCardNames`.
 */
export async function recordFirstCardNames(page: Page): Promise<void> {
	await page.addInitScript(() => {
		const firstSaid: string[] = [];
		const seen = new WeakSet<Element>();
		(window as unknown as { firstSaid: string[] }).firstSaid = firstSaid;
		new MutationObserver(() => {
			for (const name of document.querySelectorAll('[data-testid="appointment"] [elementtiming]'))
				if (!seen.has(name)) {
					seen.add(name);
					firstSaid.push(name.textContent ?? '');
				}
		}).observe(document, { subtree: true, childList: true, characterData: true });
	});
}

/** What the cards' names first said on this load (`recordFirstCardNames`), in the order they appeared. */
export function firstCardNames(page: Page): Promise<string[]> {
	return page.evaluate(() => (window as unknown as { firstSaid: string[] }).firstSaid);
}
