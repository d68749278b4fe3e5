import { type FormEvent, useEffect, useState } from "react";
import type { Api } from "../api/endpoints";
import type { User } from "../api/types";
import { ErrorMessage, Notice } from "../components/Alert";
import { useAction } from "../hooks";

export function LoginPage({
  api,
  notice,
  onSignedIn,
}: {
  api: Api;
  notice?: string;
  onSignedIn: (user: User) => void;
}) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useAction();

  useEffect(() => {
    document.title = "Sign in · Semantik";
  }, []);

  function submit(e: FormEvent) {
    e.preventDefault();
    void run(async () => onSignedIn(await api.login(username.trim(), password)));
  }

  return (
    <main id="main" className="login">
      <form onSubmit={submit} className="card login-card" aria-labelledby="login-title">
        <h1 id="login-title">Semantik</h1>
        <p className="muted">Sign in to search your documents.</p>
        {notice && <Notice>{notice}</Notice>}
        <label htmlFor="username">User name</label>
        <input
          id="username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          autoFocus
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorMessage>{error}</ErrorMessage>
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
