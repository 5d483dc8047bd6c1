import type { Role } from '../../src/lib/domain/roles.ts';
import { login } from './client.ts';
import { createClinic, createUser, ServerProcess, testEnv, type ServerEnv, type TestUser } from './server.ts';

export interface ClinicServer {
	env: ServerEnv;
	clinic: string;
	user: TestUser;
	server: ServerProcess;
	/** The signed-in user's `fd_session=…` cookie. */
	cookie: string;
}

/** A fresh data folder with one clinic and one signed-in staff member of `role`, on a running server. */
export async function startClinicServer(role: Role, extraEnv: Record<string, string> = {}): Promise<ClinicServer> {
	const env = testEnv(extraEnv);
	const clinic = await createClinic(env);
	const user = await createUser(env, clinic, role);
	const server = await ServerProcess.start(env);
	const cookie = await login(server.url, user.email, user.password);
	return { env, clinic, user, server, cookie };
}
