// Users (administrators only): list, add, enable/disable, delete.
import { type FormEvent, useState } from "react";
import type { User } from "../api/types";
import { ErrorMessage } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { formatDate } from "../format";
import { useLoad } from "../hooks";
import { useSession } from "../session";

function AddUser({ onAdded }: { onAdded: () => void }) {
  const { api } = useSession();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [isAdmin, setIsAdmin] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.createUser({ username: username.trim(), password, is_admin: isAdmin });
      setUsername("");
      setPassword("");
      setIsAdmin(false);
      onAdded();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="add-user-title">
      <h2 id="add-user-title">Add a user</h2>
      <div className="field-row">
        <div className="field">
          <label htmlFor="new-username">User name</label>
          <input
            id="new-username"
            required
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="new-password">Password</label>
          <input
            id="new-password"
            type="password"
            required
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
      </div>
      <label className="check">
        <input type="checkbox" checked={isAdmin} onChange={(e) => setIsAdmin(e.target.checked)} />
        Administrator
      </label>
      <ErrorMessage>{error}</ErrorMessage>
      <button type="submit" disabled={busy}>
        {busy ? "Adding…" : "Add user"}
      </button>
    </form>
  );
}

function UserRow({ user, onChanged }: { user: User; onChanged: () => void }) {
  const { api, user: me } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const self = user.id === me.id;
  const active = user.is_active !== false;

  async function act(action: () => Promise<unknown>) {
    setError(null);
    try {
      await action();
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <tr>
      <th scope="row">{user.username}</th>
      <td>{user.is_admin ? "Administrator" : "User"}</td>
      <td>{active ? "Active" : "Disabled"}</td>
      <td>{formatDate(user.created_at)}</td>
      <td className="actions">
        {self ? (
          <span className="muted">(you)</span>
        ) : confirming ? (
          <>
            <button type="button" className="danger" onClick={() => void act(() => api.deleteUser(user.id))}>
              Yes, delete {user.username}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </>
        ) : (
          <>
            <button
              type="button"
              className="secondary"
              onClick={() => void act(() => api.updateUser(user.id, { is_active: !active }))}
            >
              {active ? "Disable" : "Enable"}
              <span className="visually-hidden"> {user.username}</span>
            </button>
            <button type="button" className="secondary danger-text" onClick={() => setConfirming(true)}>
              Delete<span className="visually-hidden"> {user.username}</span>
            </button>
          </>
        )}
        <ErrorMessage>{error}</ErrorMessage>
      </td>
    </tr>
  );
}

export function UsersPage() {
  const { api } = useSession();
  const users = useLoad(() => api.listUsers(), [api]);
  return (
    <>
      <PageHeading title="Users" />
      <AddUser onAdded={() => void users.reload()} />
      <section className="card" aria-labelledby="users-title">
        <h2 id="users-title">Accounts</h2>
        <ErrorMessage>{users.error}</ErrorMessage>
        {users.loading && <p role="status">Loading…</p>}
        {users.data && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Role</th>
                  <th scope="col">State</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.data.map((u) => (
                  <UserRow key={u.id} user={u} onChanged={() => void users.reload()} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
