/// The console's only stylesheet, served from the binary at `/console/style.css` (the CSP allows
/// styles from 'self' only: no inline style, nothing from elsewhere).
enum ConsoleStylesheet {
    static let css = """
    :root { --ink: #1d2330; --muted: #5b6577; --line: #d8dde6; --bg: #f6f7f9; --ok: #1d7a46; --bad: #b42318;
            --warn: #a15c07; --accent: #2f5bd3; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
    header.top { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #17202f; color: #fff; }
    header.top .brand { font-weight: 700; letter-spacing: .02em; }
    header.top nav a { color: #c9d3e6; text-decoration: none; margin-right: 16px; }
    header.top nav a.current { color: #fff; border-bottom: 2px solid #fff; padding-bottom: 2px; }
    header.top .who { margin-left: auto; color: #c9d3e6; font-size: 12px; }
    main { padding: 16px 24px 40px; max-width: 1400px; }
    h1 { font-size: 20px; margin: 8px 0 16px; }
    h2 { font-size: 16px; margin: 24px 0 8px; }
    h3 { font-size: 14px; margin: 12px 0 6px; }
    table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); margin-bottom: 12px; }
    th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
    th { background: #eef1f5; font-weight: 600; font-size: 12px; color: var(--muted); }
    code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12px; word-break: break-all; }
    .badge { display: inline-block; padding: 1px 7px; border-radius: 9px; font-size: 12px; font-weight: 600; }
    .badge.ok { background: #e3f4ea; color: var(--ok); }
    .badge.bad { background: #fde8e6; color: var(--bad); }
    .badge.warn { background: #fdf0dc; color: var(--warn); }
    .badge.muted { background: #eceff3; color: var(--muted); }
    ul.checks { list-style: none; margin: 0; padding: 0; }
    ul.checks li { margin: 1px 0; }
    details.checks summary { cursor: pointer; color: var(--muted); font-size: 12px; }
    .muted { color: var(--muted); }
    .detail { color: var(--muted); font-size: 12px; }
    .card { background: #fff; border: 1px solid var(--line); padding: 12px 16px; margin-bottom: 16px; }
    form.inline { display: inline; }
    form.stack label { display: block; margin: 6px 0 2px; font-weight: 600; }
    input[type=text], input[type=search], select, textarea { font: inherit; padding: 4px 6px; border: 1px solid var(--line); }
    textarea { width: 100%; min-height: 90px; font-family: ui-monospace, Menlo, monospace; font-size: 12px; }
    button { font: inherit; padding: 4px 12px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
    button.danger { border-color: var(--bad); background: var(--bad); }
    button.plain { background: #fff; color: var(--accent); }
    .filters { display: flex; gap: 8px; flex-wrap: wrap; align-items: end; margin-bottom: 12px; }
    .filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
    .notice { padding: 10px 14px; border: 1px solid var(--line); background: #fff; margin-bottom: 16px; }
    .notice.bad { border-color: #f3b8b2; background: #fff6f5; }
    .notice.ok { border-color: #b7e0c6; background: #f4fbf6; }
    a { color: var(--accent); }
    """
}
