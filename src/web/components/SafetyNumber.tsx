"use client";
import { useId, useMemo } from "react";
import { encode } from "uqr";
import { formatSafetyNumber } from "../../protocol/crypto";

type Props = {
  name: string;
  digits: string;
  qrText: string;
  verified: boolean;
  onVerify(): void;
  onUnverify(): void;
  busy?: boolean;
};

/** The safety number with one contact, to compare by reading it aloud or scanning it. Holds no state of its own. */
export function SafetyNumber({ name, digits, qrText, verified, onVerify, onUnverify, busy = false }: Props) {
  const heading = useId();
  return (
    <section className="safety-number" aria-labelledby={heading}>
      <h3 id={heading}>Safety number with {name}</h3>
      <pre aria-label="Safety number" style={{ fontFamily: "ui-monospace, monospace", whiteSpace: "pre-wrap" }}>
        {formatSafetyNumber(digits)}
      </pre>
      <QrCode text={qrText} />
      <p>Compare these digits with {name}, in person or on a call you trust. If they match, nobody is in between.</p>
      {verified ? (
        <p>
          <span role="status">Verified</span>{" "}
          <button className="secondary" disabled={busy} onClick={onUnverify}>
            Clear verification
          </button>
        </p>
      ) : (
        <button disabled={busy} onClick={onVerify}>
          Mark as verified
        </button>
      )}
    </section>
  );
}

function QrCode({ text }: { text: string }) {
  // One path of unit squares, one per dark module: small to render, and crisp at any size.
  const { size, path } = useMemo(() => {
    // A 4-module quiet zone, as the QR standard asks, so that phone cameras find the code against any background.
    const qr = encode(text, { ecc: "M", border: 4 });
    let d = "";
    qr.data.forEach((row, y) =>
      row.forEach((dark, x) => {
        if (dark) d += `M${x} ${y}h1v1h-1z`;
      }),
    );
    return { size: qr.size, path: d };
  }, [text]);
  return (
    <svg
      role="img"
      aria-label="QR code of the safety number"
      viewBox={`0 0 ${size} ${size}`}
      width={Math.max(160, size * 4)}
      height={Math.max(160, size * 4)}
      shapeRendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
