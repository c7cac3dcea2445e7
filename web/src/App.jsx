// The console's shell: sign-in, the navigation its role allows, and the page of the route.
import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { configure } from "./api.js";
import { forget, recall, remember } from "./session.js";
import { go, useRoute } from "./router.js";
import { LanguageSwitch, useI18n } from "./i18n/I18n.jsx";
import { SignIn } from "./pages/SignIn.jsx";
import { Campaigns } from "./pages/Campaigns.jsx";
import { TryBasket } from "./pages/TryBasket.jsx";
import { Plugins } from "./pages/Plugins.jsx";
import { Coupons } from "./pages/Coupons.jsx";
import { Keys } from "./pages/Keys.jsx";
import { Customer, Customers } from "./pages/Customers.jsx";
import { Webhooks } from "./pages/Webhooks.jsx";

// The form library (and its JSON Schema validator) and the charts load only when needed.
const CampaignEditor = lazy(() => import("./pages/CampaignEditor.jsx"));
const CampaignResults = lazy(() => import("./pages/CampaignResults.jsx"));
const CampaignHistory = lazy(() => import("./pages/CampaignHistory.jsx"));
const PluginShadow = lazy(() => import("./pages/PluginShadow.jsx"));
const Journal = lazy(() => import("./pages/Journal.jsx"));
const Simulations = lazy(() => import("./pages/Simulations.jsx"));

/** @typedef {import("./session.js").Session} Session */
/** @typedef {import("./i18n/translate.js").MessageKey} MessageKey */

/** @param {string} role */
export const canMarket = (role) => role === "marketing" || role === "admin";
/** @param {string} role */
export const canManageKeys = (role) => role === "admin";
/** @param {string} role */
export const canOperate = (role) => role === "ops" || role === "admin";
/** The journal's routes take the marketing and ops roles (and admin, who may use every one). */
/** @param {string} role */
export const canReadJournal = (role) => canMarket(role) || canOperate(role);
/** Simulations take the marketing and ops roles too (marketing alone picks and launches campaigns). */
/** @param {string} role */
export const canSimulate = (role) => canMarket(role) || canOperate(role);

/** Why the person was signed out: a message of the catalogue and the API's own words. */
/** @typedef {{ key: MessageKey, detail: string }} Reason */

export function App() {
  const [session, setSession] = useState(/** @type {Session | null | undefined} */ (undefined));
  const [reason, setReason] = useState(/** @type {Reason | null} */ (null));

  const signOut = useCallback((/** @type {Reason | null} */ why) => {
    forget();
    configure(null);
    setReason(why || null);
    setSession(null);
  }, []);

  const signIn = useCallback(
    async (/** @type {Session} */ next) => {
      configure(next.key, (error) =>
        signOut({
          key: error.status === 401 ? "signOut.keyRefused" : "signOut.roleRefused",
          detail: error.message,
        }),
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

/** @param {{ session: Session, onSignOut: () => void }} props */
function Shell({ session, onSignOut }) {
  const { t } = useI18n();
  const route = useRoute();
  const { role } = session;
  const home = canMarket(role) ? "campaigns" : "plugins";
  const [section, id, view] = route.length ? route : [home];
  const allowed =
    section === "plugins" ||
    (section === "keys"
      ? canManageKeys(role)
      : section === "webhooks"
        ? canOperate(role)
        : section === "journal"
          ? canReadJournal(role)
          : section === "simulations"
            ? canSimulate(role)
            : canMarket(role));

  useEffect(() => {
    if (!allowed) go(`/${home}`);
  }, [allowed, home]);

  let page = null;
  if (!allowed) page = null;
  else if (section === "campaigns" && !id) page = <Campaigns />;
  else if (section === "campaigns" && id === "new") page = <CampaignEditor mode="create" />;
  else if (section === "campaigns" && view === "edit")
    page = <CampaignEditor mode="edit" id={id} />;
  else if (section === "campaigns" && view === "clone")
    page = <CampaignEditor mode="clone" id={id} />;
  else if (section === "campaigns" && view === "coupons") page = <Coupons id={id} />;
  else if (section === "campaigns" && view === "history")
    page = <CampaignHistory key={id} id={id} />;
  else if (section === "campaigns") page = <CampaignResults id={id} />;
  else if (section === "customers" && !id) page = <Customers />;
  else if (section === "customers") page = <Customer key={id} id={id} />;
  else if (section === "try") page = <TryBasket />;
  else if (section === "plugins" && id && view === "shadow")
    page = <PluginShadow key={id} name={id} canOperate={canOperate(role)} />;
  else if (section === "plugins") page = <Plugins name={id} canUpload={canOperate(role)} />;
  else if (section === "keys") page = <Keys />;
  else if (section === "webhooks") page = <Webhooks id={id} />;
  else if (section === "journal") page = <Journal key={id} id={id} canMarket={canMarket(role)} />;
  else if (section === "simulations")
    page = <Simulations key={id || ""} id={id} canMarket={canMarket(role)} />;
  else page = <p className="empty">{t("app.notFound")}</p>;

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
                {t("nav.campaigns")}
              </a>
              <a className={section === "try" ? "active" : ""} href="#/try">
                {t("nav.try")}
              </a>
              <a className={section === "customers" ? "active" : ""} href="#/customers">
                {t("nav.customers")}
              </a>
            </>
          )}
          <a className={section === "plugins" ? "active" : ""} href="#/plugins">
            {t("nav.plugins")}
          </a>
          {canReadJournal(role) && (
            <a className={section === "journal" ? "active" : ""} href="#/journal">
              {t("nav.journal")}
            </a>
          )}
          {canSimulate(role) && (
            <a className={section === "simulations" ? "active" : ""} href="#/simulations">
              {t("nav.simulations")}
            </a>
          )}
          {canOperate(role) && (
            <a className={section === "webhooks" ? "active" : ""} href="#/webhooks">
              {t("nav.webhooks")}
            </a>
          )}
          {canManageKeys(role) && (
            <a className={section === "keys" ? "active" : ""} href="#/keys">
              {t("nav.keys")}
            </a>
          )}
        </nav>
        <span className="who" title={session.label || ""}>
          {session.label ? `${session.label} · ` : ""}
          {roleName(t, role)}
        </span>
        <LanguageSwitch />
        <button className="link" onClick={onSignOut}>
          {t("app.signOut")}
        </button>
      </header>
      <main>
        <Suspense fallback={<p className="empty">{t("common.loading")}</p>}>{page}</Suspense>
      </main>
    </div>
  );
}

/**
 * A role as people call it.
 * @param {import("./i18n/I18n.jsx").I18n["t"]} t
 * @param {string} role
 */
function roleName(t, role) {
  switch (role) {
    case "marketing":
      return t("role.marketing");
    case "ops":
      return t("role.ops");
    case "admin":
      return t("role.admin");
    default:
      return role;
  }
}
