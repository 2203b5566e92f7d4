"use client";
import dynamic from "next/dynamic";

// Everything personal lives in this browser (IndexedDB, keys): nothing to render on a server.
const ClientApp = dynamic(() => import("../components/ClientApp"), {
  ssr: false,
  loading: () => <p className="loading">Loading Parley…</p>,
});

export default function Home() {
  return <ClientApp />;
}
