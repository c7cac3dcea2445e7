// A campaign's history (#/campaigns/{id}/history): every revision a write left, newest first,
// with its author and time; two of them chosen (at first the newest and the one before) and
// what changed between them, path by path with the value before and after; the whole
// campaign of one revision on demand. A deleted campaign keeps its history.
import { useCallback, useEffect, useRef, useState } from "react";
import { call } from "../api.js";
import { href } from "../router.js";
import { useI18n } from "../i18n/I18n.jsx";
import { Problem } from "../components/ui.jsx";
import { choose, compactJson, defaultPair } from "../history.js";

/** @typedef {import("../apiTypes").Answer<"/v1/campaigns/{id}/revisions", "GET">["revisions"][number]} RevisionSummary */
/** @typedef {import("../apiTypes").Answer<"/v1/campaigns/{id}/revisions/{revision}", "GET">} Revision */
/** @typedef {import("../apiTypes").Answer<"/v1/campaigns/{id}/diff", "GET">} Diff */
/** @typedef {Diff["changes"][number]} Change */
/** @typedef {import("../i18n/I18n.jsx").I18n} I18n */
/** @typedef {{ from: number, to: number }} Pair */

/** What a revision did, in words. @param {I18n["t"]} t @param {string} action */
function actionName(t, action) {
  switch (action) {
    case "created":
      return t("history.action.created");
    case "replaced":
      return t("history.action.replaced");
    case "deleted":
      return t("history.action.deleted");
    default:
      return action;
  }
}

/** What a change did to its path, in words. @param {I18n["t"]} t @param {string} op */
function opName(t, op) {
  switch (op) {
    case "add":
      return t("history.op.add");
    case "remove":
      return t("history.op.remove");
    case "replace":
      return t("history.op.replace");
    default:
      return op;
  }
}

/** @param {{ id: string }} props */
export default function CampaignHistory({ id }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [revisions, setRevisions] = useState(/** @type {RevisionSummary[] | null} */ (null));
  const [name, setName] = useState(/** @type {string | null} */ (null));
  const [error, setError] = useState(null);
  const [pair, setPair] = useState(/** @type {Pair | null} */ (null));
  // The whole campaign of one revision, once asked for (or why it could not be had).
  const [opened, setOpened] = useState(/** @type {Revision | null} */ (null));
  const [openError, setOpenError] = useState(null);
  const [opening, setOpening] = useState(/** @type {number | null} */ (null));

  const load = useCallback(async () => {
    try {
      const [list, campaign] = await Promise.all([
        call("GET", "/v1/campaigns/{id}/revisions", { path: { id } }),
        // Its name, while it exists: a deleted campaign keeps its history, not its page.
        call("GET", "/v1/campaigns/{id}", { path: { id } }).catch(() => null),
      ]);
      setRevisions(list.revisions);
      setName(campaign?.name ?? null);
      setPair(defaultPair(list.revisions));
    } catch (e) {
      setError(e);
    }
  }, [id]);

  useEffect(() => {
    // load() sets state only once the API has answered (after an await), not synchronously.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    load();
  }, [load]);

  /** @param {RevisionSummary} r */
  async function open(r) {
    if (opened?.revision === r.revision) {
      setOpened(null);
      return;
    }
    setOpenError(null);
    setOpening(r.revision);
    try {
      setOpened(
        await call("GET", "/v1/campaigns/{id}/revisions/{revision}", {
          path: { id, revision: r.revision },
        }),
      );
    } catch (e) {
      setOpened(null);
      setOpenError(e);
    } finally {
      setOpening(null);
    }
  }

  if (!revisions)
    return error ? <Problem error={error} /> : <p className="empty">{t("common.loading")}</p>;
  const newest = revisions.length ? Math.max(...revisions.map((r) => r.revision)) : 0;
  const oldest = revisions.length ? Math.min(...revisions.map((r) => r.revision)) : 0;
  const deleted = revisions[0]?.action === "deleted";

  return (
    <section className="history">
      <div className="page-head">
        <div>
          <h1>{t("history.title")}</h1>
          <div className="muted">
            {name && !deleted ? <a href={href("campaigns", id)}>{name}</a> : null}
            {name && !deleted ? " · " : null}
            <code>{id}</code>
            {deleted ? ` · ${t("history.deletedCampaign")}` : null}
          </div>
        </div>
        {!deleted && (
          <div className="buttons">
            <a className="button" href={href("campaigns", id)}>
              {t("history.back")}
            </a>
            <a className="button" href={href("campaigns", id, "edit")}>
              {t("action.edit")}
            </a>
          </div>
        )}
      </div>
      <Problem error={error} />
      <p className="muted small">{t("history.intro")}</p>
      <div className="table-wrap">
        <table className="revisions">
          <thead>
            <tr>
              <th className="pick">{t("history.col.from")}</th>
              <th className="pick">{t("history.col.to")}</th>
              <th className="num">{t("history.col.revision")}</th>
              <th>{t("history.col.action")}</th>
              <th>{t("history.col.author")}</th>
              <th>{t("history.col.writtenAt")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {revisions.map((r) => {
              const chosen = pair && (r.revision === pair.from || r.revision === pair.to);
              return (
                <tr
                  key={r.revision}
                  data-revision={r.revision}
                  className={chosen ? "current" : undefined}
                >
                  <td className="pick">
                    <input
                      type="radio"
                      name="diff-from"
                      aria-label={t("history.compareFrom", { revision: r.revision })}
                      checked={pair?.from === r.revision}
                      disabled={!pair || r.revision === newest}
                      onChange={() => setPair(choose(revisions, pair, "from", r.revision))}
                    />
                  </td>
                  <td className="pick">
                    <input
                      type="radio"
                      name="diff-to"
                      aria-label={t("history.compareTo", { revision: r.revision })}
                      checked={pair?.to === r.revision}
                      disabled={!pair || r.revision === oldest}
                      onChange={() => setPair(choose(revisions, pair, "to", r.revision))}
                    />
                  </td>
                  <td className="num">{r.revision}</td>
                  <td>
                    <span className={`badge action ${r.action}`}>{actionName(t, r.action)}</span>
                  </td>
                  <td className="author">
                    {r.author || <span className="muted">{t("history.noAuthor")}</span>}
                  </td>
                  <td className="small">{i18n.dateTime(r.written_at)}</td>
                  <td className="actions">
                    <button
                      type="button"
                      disabled={r.action === "deleted" || opening !== null}
                      title={r.action === "deleted" ? t("history.nothingToShow") : undefined}
                      aria-pressed={opened?.revision === r.revision}
                      onClick={() => open(r)}
                    >
                      {opened?.revision === r.revision ? t("history.hide") : t("history.view")}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Problem error={openError} />
      {opened && <RevisionView revision={opened} onClose={() => setOpened(null)} />}
      {pair ? (
        <DiffView key={`${pair.from}-${pair.to}`} id={id} pair={pair} />
      ) : (
        <p className="empty">{t("history.single")}</p>
      )}
    </section>
  );
}

/**
 * One revision whole: what it did, who and when, and the campaign it wrote as JSON.
 * @param {{ revision: Revision, onClose: () => void }} props
 */
function RevisionView({ revision: r, onClose }) {
  const i18n = useI18n();
  const { t } = i18n;
  const ref = useRef(/** @type {HTMLDivElement | null} */ (null));
  useEffect(() => {
    ref.current?.scrollIntoView?.({ block: "nearest" });
  }, [r.revision]);
  return (
    <div className="card revision" data-testid="revision" ref={ref}>
      <div className="page-head">
        <div>
          <h2>{t("history.revisionTitle", { revision: r.revision })}</h2>
          <span className="muted small">
            {actionName(t, r.action)} · {r.author || t("history.noAuthor")} ·{" "}
            {i18n.dateTime(r.written_at)}
          </span>
        </div>
        <div className="buttons">
          <button type="button" onClick={onClose}>
            {t("history.close")}
          </button>
        </div>
      </div>
      {r.campaign ? (
        <pre data-testid="revision-json">{JSON.stringify(r.campaign, null, 2)}</pre>
      ) : (
        <p className="muted">{t("history.nothingToShow")}</p>
      )}
    </div>
  );
}

/**
 * What changed from `pair.from` to `pair.to`: one row per path, with both values.
 * @param {{ id: string, pair: Pair }} props
 */
function DiffView({ id, pair }) {
  const { t } = useI18n();
  const [diff, setDiff] = useState(/** @type {Diff | null} */ (null));
  const [error, setError] = useState(null);

  const load = useCallback(async () => {
    try {
      setDiff(
        await call("GET", "/v1/campaigns/{id}/diff", {
          path: { id },
          query: { from: pair.from, to: pair.to },
        }),
      );
    } catch (e) {
      setError(e);
    }
  }, [id, pair.from, pair.to]);

  useEffect(() => {
    // load() sets state only once the API has answered (after an await), not synchronously.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    load();
  }, [load]);

  return (
    <div className="card diff" data-testid="diff">
      <h2>{t("history.diffTitle", { from: pair.from, to: pair.to })}</h2>
      <Problem error={error} />
      {!diff ? (
        !error && <p className="empty">{t("common.loading")}</p>
      ) : diff.changes.length === 0 ? (
        <p className="empty">{t("history.noChanges")}</p>
      ) : (
        <>
          <p className="muted small">{t("history.changes", { count: diff.changes.length })}</p>
          <div className="table-wrap">
            <table className="diff">
              <thead>
                <tr>
                  <th>{t("history.col.path")}</th>
                  <th>{t("history.col.before")}</th>
                  <th>{t("history.col.after")}</th>
                </tr>
              </thead>
              <tbody>
                {diff.changes.map((c, i) => (
                  <ChangeRow key={`${i}:${c.path}`} change={c} />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}

/** @param {{ change: Change }} props */
function ChangeRow({ change: c }) {
  const { t } = useI18n();
  // An addition has no value before, a removal none after: "before" in c, not its value,
  // tells them from a null.
  const hasBefore = Object.prototype.hasOwnProperty.call(c, "before");
  const hasAfter = Object.prototype.hasOwnProperty.call(c, "after");
  return (
    <tr className={`change ${c.op}`} data-path={c.path} data-op={c.op}>
      <td className="path">
        <code>{c.path || t("history.wholeCampaign")}</code>{" "}
        <span className={`badge op ${c.op}`}>{opName(t, c.op)}</span>
      </td>
      <td className="before">
        {hasBefore ? <code>{compactJson(c.before)}</code> : <span className="muted">—</span>}
      </td>
      <td className="after">
        {hasAfter ? <code>{compactJson(c.after)}</code> : <span className="muted">—</span>}
      </td>
    </tr>
  );
}
