"use client";
// Invite links (/invite#…) open the same app; it reads the invite from the fragment, which never reaches a server.
export { default } from "../page";
