// The console's shell: sign-in, the navigation its role allows, and the page of the route.
import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { configure } from "./api.js";
import { forget, recall, remember } from "./session.js";
import { go, useRoute } from "./router.js";
import { SignIn } from "./pages/SignIn.jsx";
import { Campaigns } from "./pages/Campaigns.jsx";
import { TryBasket } from "./pages/TryBasket.jsx";
import { Plugins } from "./pages/Plugins.jsx";
import { Coupons } from "./pages/Coupons.jsx";

// The form library (and its JSON Schema validator) and the charts load only when needed.
const CampaignEditor = lazy(() => import("./pages/CampaignEditor.jsx"));
const CampaignResults = lazy(() => import("./pages/CampaignResults.jsx"));

export const canMarket = (role) => role === "marketing" || role === "admin";
export const canOperate = (role) => role === "ops" || role === "admin";

export function App() {
  const [session, setSession] = useState(undefined);
  const [reason, setReason] = useState(null);

  const signOut = useCallback((why) => {
    forget();
    configure(null);
    setReason(why || null);
    setSession(null);
  }, []);

  const signIn = useCallback(
    async (next) => {
      configure(next.key, (error) =>
        signOut(
          error.status === 401
            ? `Signed out: the API no longer accepts this key (${error.message}).`
            : `Signed out: this key may not do that (${error.message}).`,
        ),
      );
      await remember(next);
      setReason(null);
      setSession(next);
    },
    [signOut],
  );

  useEffect(() => {
    recall().then((stored) => (stored ? signIn(stored) : setSession(null)));
  }, [signIn]);

  if (session === undefined) return null;
  if (session === null) return <SignIn reason={reason} onSignIn={signIn} />;
  return <Shell session={session} onSignOut={() => signOut(null)} />;
}

function Shell({ session, onSignOut }) {
  const route = useRoute();
  const { role } = session;
  const home = canMarket(role) ? "campaigns" : "plugins";
  const [section, id, view] = route.length ? route : [home];
  const allowed = section === "plugins" || canMarket(role);

  useEffect(() => {
    if (!allowed) go(`/${home}`);
  }, [allowed, home]);

  let page = null;
  if (!allowed) page = null;
  else if (section === "campaigns" && !id) page = <Campaigns />;
  else if (section === "campaigns" && id === "new") page = <CampaignEditor mode="create" />;
  else if (section === "campaigns" && view === "edit") page = <CampaignEditor mode="edit" id={id} />;
  else if (section === "campaigns" && view === "clone") page = <CampaignEditor mode="clone" id={id} />;
  else if (section === "campaigns" && view === "coupons") page = <Coupons id={id} />;
  else if (section === "campaigns") page = <CampaignResults id={id} />;
  else if (section === "try") page = <TryBasket />;
  else if (section === "plugins") page = <Plugins name={id} canUpload={canOperate(role)} />;
  else page = <p className="empty">Nothing here. Pick a page above.</p>;

  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" href={`#/${home}`}>
          Remise
        </a>
        <nav>
          {canMarket(role) && (
            <>
              <a className={section === "campaigns" ? "active" : ""} href="#/campaigns">
                Campaigns
              </a>
              <a className={section === "try" ? "active" : ""} href="#/try">
                Try a basket
              </a>
            </>
          )}
          <a className={section === "plugins" ? "active" : ""} href="#/plugins">
            Plugins
          </a>
        </nav>
        <span className="who" title={session.label || ""}>
          {session.label ? `${session.label} · ` : ""}
          {role}
        </span>
        <button className="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main>
        <Suspense fallback={<p className="empty">Loading…</p>}>{page}</Suspense>
      </main>
    </div>
  );
}
