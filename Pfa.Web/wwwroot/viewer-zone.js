// The browser's IANA time zone, so the server can show times in the viewer's local time (Pfa.Web/State/ViewerClock.cs).
export function zone() {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}
