// Hash routes (#/campaigns/x): the host serves one page at /, and no route of the console
// can collide with the API's paths.
import { useEffect, useState } from "react";

export function useRoute() {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  const path = hash.replace(/^#/, "") || "/campaigns";
  return path.split("/").filter(Boolean).map(decodeURIComponent);
}

export function go(path) {
  window.location.hash = path;
}

export const href = (...parts) => "#/" + parts.map(encodeURIComponent).join("/");
