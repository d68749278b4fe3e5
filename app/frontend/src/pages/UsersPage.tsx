// Users (administrators only): list, add, enable/disable, admin rights, set a password.
import { type FormEvent, useState } from "react";
import type { User } from "../api/types";
import { ErrorMessage } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { formatDate } from "../format";
import { useAction, useLoad } from "../hooks";
import { useSession } from "../session";

function AddUser({ onAdded }: { onAdded: () => void }) {
  const { api } = useSession();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [isAdmin, setIsAdmin] = useState(false);
  const { busy, error, run } = useAction();

  function submit(e: FormEvent) {
    e.preventDefault();
    void run(async () => {
      await api.createUser({ username: username.trim(), password, is_admin: isAdmin });
      onAdded(); // the page remounts this form: empty fields, no stale "invalid" marks
    });
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
      <div>
        <label className="check">
          <input type="checkbox" checked={isAdmin} onChange={(e) => setIsAdmin(e.target.checked)} />
          Administrator
        </label>
      </div>
      <ErrorMessage>{error}</ErrorMessage>
      <button type="submit" disabled={busy}>
        {busy ? "Adding…" : "Add user"}
      </button>
    </form>
  );
}

function UserRow({ user, onChanged }: { user: User; onChanged: () => void }) {
  const { api, user: me } = useSession();
  const { error, run } = useAction();
  const [done, setDone] = useState<string | null>(null);
  const [resetting, setResetting] = useState(false);
  const [password, setPassword] = useState("");
  const self = user.id === me.id;

  async function act(action: () => Promise<unknown>, message?: string) {
    setDone(null);
    if (await run(action)) {
      if (message) setDone(message);
      onChanged();
    }
  }

  async function reset(e: FormEvent) {
    e.preventDefault();
    await act(() => api.resetPassword(user.username, password), `New password set for ${user.username}.`);
    setPassword("");
    setResetting(false);
  }

  return (
    <tr>
      <th scope="row">
        {user.username}
        {self && <span className="muted"> (you)</span>}
      </th>
      <td>{user.is_admin ? "Administrator" : "User"}</td>
      <td>{user.disabled ? "Disabled" : "Active"}</td>
      <td data-label="Last sign-in">{formatDate(user.last_login_at)}</td>
      <td>
        <div className="actions tight">
          {!self && (
            <>
              <button
                type="button"
                className="secondary"
                onClick={() => void act(() => api.updateUser(user.username, { disabled: !user.disabled }))}
              >
                {user.disabled ? "Enable" : "Disable"}
                <span className="visually-hidden"> {user.username}</span>
              </button>
              <button
                type="button"
                className="secondary"
                onClick={() => void act(() => api.updateUser(user.username, { is_admin: !user.is_admin }))}
              >
                {user.is_admin ? "Remove admin" : "Make admin"}
                <span className="visually-hidden"> {user.username}</span>
              </button>
            </>
          )}
          <button type="button" className="secondary" aria-expanded={resetting} onClick={() => setResetting(!resetting)}>
            Set password<span className="visually-hidden"> of {user.username}</span>
          </button>
        </div>
        {resetting && (
          <form className="inline-form" onSubmit={reset}>
            <label htmlFor={`pw-${user.id}`}>New password for {user.username}</label>
            <input
              id={`pw-${user.id}`}
              type="password"
              required
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            <button type="submit">Save password</button>
          </form>
        )}
        {done && <p className="muted" role="status">{done}</p>}
        <ErrorMessage>{error}</ErrorMessage>
      </td>
    </tr>
  );
}

export function UsersPage() {
  const { api } = useSession();
  const users = useLoad(() => api.listUsers(), [api]);
  const [added, setAdded] = useState(0);
  return (
    <>
      <PageHeading title="Users" />
      <AddUser
        key={added}
        onAdded={() => {
          setAdded((n) => n + 1);
          void users.reload();
        }}
      />
      <section className="card" aria-labelledby="users-title">
        <h2 id="users-title">Accounts</h2>
        <ErrorMessage>{users.error}</ErrorMessage>
        {users.loading && <p role="status">Loading…</p>}
        {users.data && (
          <div className="table-wrap">
            <table className="stack-on-phone">
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Role</th>
                  <th scope="col">State</th>
                  <th scope="col">Last sign-in</th>
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
