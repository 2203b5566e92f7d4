import { describe, expect, it } from "vitest";
import { DEFAULT_PREFERENCES, parsePreferences } from "../../../../src/agent/availability/preferences";

const LONDON = "Europe/London";

const issuesOf = (value: unknown): string[] => {
  const parsed = parsePreferences(value);
  if (parsed.ok) throw new Error("test: expected invalid preferences");
  expect(parsed.error.code).toBe("invalid");
  return parsed.error.issues;
};

describe("preferences", () => {
  it("[AV1] the defaults: Mon–Fri 09:00–17:00, no buffers, an hour's notice, 60 days, 6 a day", () => {
    expect(DEFAULT_PREFERENCES(LONDON)).toEqual({
      timeZone: LONDON,
      workingHours: {
        0: [],
        1: [{ startMinute: 540, endMinute: 1020 }],
        2: [{ startMinute: 540, endMinute: 1020 }],
        3: [{ startMinute: 540, endMinute: 1020 }],
        4: [{ startMinute: 540, endMinute: 1020 }],
        5: [{ startMinute: 540, endMinute: 1020 }],
        6: [],
      },
      bufferBeforeMinutes: 0,
      bufferAfterMinutes: 0,
      minNoticeMinutes: 60,
      horizonDays: 60,
      maxMeetingsPerDay: 6,
      preferredParts: [],
      meetingFreeDays: [],
    });
  });

  it("[AV2] a zone alone gives the defaults; fields given are kept; a weekday left out is a day off", () => {
    expect(parsePreferences({ timeZone: LONDON })).toEqual({ ok: true, value: DEFAULT_PREFERENCES(LONDON) });
    const parsed = parsePreferences({
      timeZone: "Asia/Kathmandu",
      workingHours: {
        "2": [
          { startMinute: 0, endMinute: 60 },
          { startMinute: 60, endMinute: 1440 },
        ],
      },
      bufferBeforeMinutes: 10,
      bufferAfterMinutes: 5,
      minNoticeMinutes: 0,
      horizonDays: 365,
      maxMeetingsPerDay: 1,
      preferredParts: ["afternoon", "morning"],
      meetingFreeDays: [5, 3],
    });
    expect(parsed.ok && parsed.value).toEqual({
      timeZone: "Asia/Kathmandu",
      workingHours: {
        0: [],
        1: [],
        2: [
          { startMinute: 0, endMinute: 60 },
          { startMinute: 60, endMinute: 1440 },
        ],
        3: [],
        4: [],
        5: [],
        6: [],
      },
      bufferBeforeMinutes: 10,
      bufferAfterMinutes: 5,
      minNoticeMinutes: 0,
      horizonDays: 365,
      maxMeetingsPerDay: 1,
      preferredParts: ["afternoon", "morning"],
      meetingFreeDays: [3, 5],
    });
  });

  it.each<[string, unknown, RegExp]>([
    ["not an object", [], /preferences must be an object/],
    ["no zone", {}, /timeZone must be an IANA time zone/],
    ["an unknown zone", { timeZone: "Mars/Olympus_Mons" }, /timeZone/],
    ["an unknown field", { timeZone: LONDON, bufferBeforeMinute: 5 }, /unknown fields: bufferBeforeMinute/],
    [
      "a negative buffer",
      { timeZone: LONDON, bufferBeforeMinutes: -5 },
      /bufferBeforeMinutes must be an integer 0..240/,
    ],
    ["a fractional buffer", { timeZone: LONDON, bufferAfterMinutes: 2.5 }, /bufferAfterMinutes must be an integer/],
    ["a huge notice", { timeZone: LONDON, minNoticeMinutes: 1e9 }, /minNoticeMinutes must be an integer 0..43200/],
    ["a zero horizon", { timeZone: LONDON, horizonDays: 0 }, /horizonDays must be an integer 1..365/],
    ["a cap of 0", { timeZone: LONDON, maxMeetingsPerDay: 0 }, /maxMeetingsPerDay must be an integer 1..50/],
    ["a string number", { timeZone: LONDON, horizonDays: "30" }, /horizonDays/],
    [
      "an unknown part of day",
      { timeZone: LONDON, preferredParts: ["night"] },
      /preferredParts\[0\] must be one of morning/,
    ],
    [
      "a repeated part of day",
      { timeZone: LONDON, preferredParts: ["morning", "morning"] },
      /preferredParts\[1\] repeats/,
    ],
    ["a weekday 7", { timeZone: LONDON, meetingFreeDays: [7] }, /meetingFreeDays\[0\] must be a weekday/],
    ["a weekday as text", { timeZone: LONDON, meetingFreeDays: ["1"] }, /meetingFreeDays\[0\]/],
    ["working hours as a list", { timeZone: LONDON, workingHours: [] }, /workingHours must be an object/],
    ["a weekday key 7", { timeZone: LONDON, workingHours: { "7": [] } }, /unknown weekday "7"/],
    ["a day that is not a list", { timeZone: LONDON, workingHours: { "1": {} } }, /workingHours.1 must be a list/],
    [
      "an inverted range",
      { timeZone: LONDON, workingHours: { "1": [{ startMinute: 600, endMinute: 540 }] } },
      /workingHours.1\[0\] must start before it ends/,
    ],
    [
      "a range past midnight",
      { timeZone: LONDON, workingHours: { "1": [{ startMinute: 600, endMinute: 1441 }] } },
      /endMinute must be an integer 1..1440/,
    ],
    [
      "a negative start",
      { timeZone: LONDON, workingHours: { "1": [{ startMinute: -1, endMinute: 60 }] } },
      /startMinute must be an integer 0..1439/,
    ],
    [
      "overlapping ranges",
      {
        timeZone: LONDON,
        workingHours: {
          "1": [
            { startMinute: 540, endMinute: 720 },
            { startMinute: 700, endMinute: 800 },
          ],
        },
      },
      /workingHours.1\[1\] must start at or after the end of the range before it/,
    ],
    [
      "unsorted ranges",
      {
        timeZone: LONDON,
        workingHours: {
          "1": [
            { startMinute: 800, endMinute: 900 },
            { startMinute: 540, endMinute: 600 },
          ],
        },
      },
      /sorted, not overlapping/,
    ],
    [
      "a range with extra fields",
      { timeZone: LONDON, workingHours: { "1": [{ startMinute: 0, endMinute: 60, label: "x" }] } },
      /unknown fields: label/,
    ],
    [
      "too many ranges",
      {
        timeZone: LONDON,
        workingHours: { "1": Array.from({ length: 13 }, (_, i) => ({ startMinute: i * 60, endMinute: i * 60 + 30 })) },
      },
      /more than 12 ranges/,
    ],
  ])("[AV2] refuses %s", (_name, value, issue) => {
    expect(issuesOf(value).join("\n")).toMatch(issue);
  });

  it("[AV2] reports every problem at once", () => {
    expect(issuesOf({ timeZone: LONDON, horizonDays: 0, maxMeetingsPerDay: 100, meetingFreeDays: [9] })).toHaveLength(
      3,
    );
  });

  it("[AV2] ignores __proto__ from JSON rather than copying it", () => {
    const parsed = parsePreferences(
      JSON.parse(`{"timeZone":"${LONDON}","__proto__":{"horizonDays":1},"workingHours":{"__proto__":[]}}`),
    );
    expect(parsed.ok && parsed.value.horizonDays).toBe(60);
    expect(parsed.ok && Object.getPrototypeOf(parsed.value)).toBe(Object.prototype);
  });
});
