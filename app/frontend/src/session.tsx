// The API and the signed-in user, handed to every page through context.
import { createContext, useContext } from "react";
import type { Api } from "./api/endpoints";
import type { User } from "./api/types";

export interface Session {
  api: Api;
  user: User;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in page");
  return session;
}
