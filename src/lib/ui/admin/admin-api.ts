import type { RouterOutputs } from '$lib/api/client.ts';

/* The staff administration types as the server's router returns them (types only: the device never restates them). */

export type { Role } from '$lib/domain/roles.ts';
export { ROLES } from '$lib/domain/roles.ts';
export type StaffMember = RouterOutputs['staff']['list'][number];
/** One signed-in device of a staff member. */
export type DeviceSession = StaffMember['sessions'][number];
export type Invitation = RouterOutputs['staff']['reinvite'];
export type InvitationDetails = RouterOutputs['invitation']['inspect'];
export type StaffFigure = RouterOutputs['reports']['staffFigures'][number];
