import Mustache

/// The console's Mustache templates, compiled into the binary (no files are read at run time).
/// Every value is written with `{{name}}`, which HTML-escapes it through `ConsoleHTML` (each
/// template starts with its pragma): chart names, descriptions, annotations, maintainers and key
/// user IDs are uploader-controlled. Triple braces and `{{&…}}` are never used (`ConsoleTests` checks it).
enum ConsoleTemplates {
    /// Every template by name; pages include `header` and `footer` as partials.
    static let sources: [String: String] = [
        "header": header, "footer": footer, "repositories": repositories, "signers": signers, "signer": signer,
        "quarantine": quarantine, "audit": audit, "confirm": confirm, "result": result, "error": error,
    ]

    /// Compiled once; a template that does not parse is a programming error caught by the tests.
    static let library: MustacheLibrary = {
        MustacheContentTypes.register(ConsoleHTML(), named: ConsoleHTML.name)
        var library = MustacheLibrary()
        for (name, source) in sources {
            do {
                try library.register(ConsoleHTML.pragma + source, named: name)
            } catch {
                preconditionFailure("console template \(name) does not parse: \(error)")
            }
        }
        return library
    }()

    static let header = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}} · ChartWarden console</title>
    <link rel="stylesheet" href="/console/style.css">
    </head>
    <body>
    <header class="top">
      <span class="brand">ChartWarden</span>
      <nav>
        {{#nav}}<a href="{{href}}"{{#current}} class="current"{{/current}}>{{label}}</a>{{/nav}}
      </nav>
      <span class="who">signed in as {{actor}}</span>
    </header>
    <main>
    <h1>{{title}}</h1>

    """

    static let footer = """
    </main>
    </body>
    </html>

    """

    static let repositories = """
    {{> header}}
    {{#body}}
    <form class="filters" method="get" action="/console/repositories" role="search">
      <label>Chart name<input type="search" name="q" value="{{query}}" placeholder="search charts"></label>
      <button type="submit">Search</button>
    </form>
    {{#repositories}}
    <h2>Repository <code>{{label}}</code></h2>
    {{^charts}}<p class="muted">No chart{{#searching}} matches{{/searching}}.</p>{{/charts}}
    {{#charts}}
    <table class="chart" data-chart="{{name}}">
      <thead><tr><th colspan="6">{{name}}</th></tr>
      <tr><th>Version</th><th>Uploaded</th><th>State</th><th>Provenance</th><th>Content policy</th><th>Chart.yaml</th></tr></thead>
      <tbody>
      {{#versions}}
      <tr data-version="{{version}}">
        <td><strong>{{version}}</strong></td>
        <td>{{uploader}}<div class="detail">{{created}}</div></td>
        <td><span class="badge {{statusClass}}">{{status}}</span>{{#statusReason}}<div class="detail">{{.}}</div>{{/statusReason}}</td>
        <td>
          {{#provenance}}
          <span class="badge {{#passed}}ok{{/passed}}{{^passed}}bad{{/passed}}">{{#passed}}verified{{/passed}}{{^passed}}failed{{/passed}}</span>
          <div>{{signerUserID}}</div>
          {{#signerFingerprint}}<div><a class="mono" href="/console/signers/{{.}}">{{.}}</a></div>{{/signerFingerprint}}
          {{#signedAt}}<div class="detail">signed {{.}}</div>{{/signedAt}}
          <details class="checks"{{^passed}} open{{/passed}}><summary>{{checkSummary}}</summary>
          <ul class="checks">{{#checks}}<li><span class="badge {{#passed}}ok{{/passed}}{{^passed}}bad{{/passed}}">{{name}}</span> <span class="detail">{{detail}}</span></li>{{/checks}}</ul>
          </details>
          {{/provenance}}
          {{^provenance}}<span class="badge muted">no provenance</span>{{/provenance}}
        </td>
        <td>
          {{#content}}
          <span class="badge {{verdictClass}}">{{verdict}}</span> <span class="detail">{{mode}} · {{kindsFound}} kinds in {{scannedFiles}} files</span>
          {{#hasViolations}}<h3>Violations</h3>{{/hasViolations}}
          <ul class="checks">{{#violations}}<li><span class="badge {{severityClass}}">{{severity}}</span> {{kind}} <span class="detail">{{file}}:{{line}} ({{rule}})</span></li>{{/violations}}</ul>
          {{#hasExemptions}}<h3>Exemptions</h3>{{/hasExemptions}}
          <ul class="checks">{{#exemptions}}<li>{{kind}} <span class="detail">{{file}}: allowed by {{allowedBy}}, {{grantedBy}}</span></li>{{/exemptions}}</ul>
          {{/content}}
          {{^content}}<span class="badge muted">no verdict</span>{{/content}}
        </td>
        <td>
          {{#description}}<div class="description">{{.}}</div>{{/description}}
          {{#hasMaintainers}}<div class="detail">maintainers: {{#maintainers}}<span class="maintainer">{{.}}</span> {{/maintainers}}</div>{{/hasMaintainers}}
          {{#hasAnnotations}}<ul class="checks">{{#annotations}}<li class="detail annotation"><code>{{key}}</code>: {{value}}</li>{{/annotations}}</ul>{{/hasAnnotations}}
        </td>
      </tr>
      {{/versions}}
      </tbody>
    </table>
    {{/charts}}
    {{#more}}<p><a class="next" href="{{.}}">More versions in {{label}} →</a></p>{{/more}}
    {{/repositories}}
    {{/body}}
    {{> footer}}
    """

    static let signerRows = """
    <tr data-fingerprint="{{fingerprint}}">
      <td><a class="mono" href="/console/signers/{{fingerprint}}">{{fingerprint}}</a></td>
      <td>{{#userIDs}}<div>{{.}}</div>{{/userIDs}}</td>
      <td>{{algorithm}}</td>
      <td>{{created}}<div class="detail">{{#expires}}expires {{.}}{{/expires}}{{^expires}}no expiry{{/expires}}</div>{{#expired}}<span class="badge bad">expired</span>{{/expired}}</td>
      <td>{{#revoked}}<span class="badge {{#soft}}warn{{/soft}}{{^soft}}bad{{/soft}}">{{kind}} revocation</span><div class="detail">{{at}}</div>{{/revoked}}{{^revoked}}<span class="badge ok">not revoked</span>{{/revoked}}</td>
      <td>{{#repositories}}<div><code>{{.}}</code></div>{{/repositories}}{{^repositories}}<span class="muted">none</span>{{/repositories}}</td>
      <td>{{chartsSigned}}</td>
    </tr>
    """

    static let signerTableHead = """
    <thead><tr><th>Fingerprint</th><th>User IDs</th><th>Algorithm</th><th>Created</th><th>Revocation</th><th>Trusted in</th><th>Charts signed</th></tr></thead>
    """

    static let trustForm = """
    <div class="card">
      <h2>Import a key and trust it for a repository</h2>
      <p class="detail">Trusting a key quarantines no chart: charts it signed that failed only for want of trust are not re-published by this.</p>
      <form class="stack" method="post" action="/console/signers/trust" enctype="multipart/form-data">
        <input type="hidden" name="csrf" value="{{trustCSRF}}">
        <label for="trust-repo">Repository</label>
        <select id="trust-repo" name="repo">{{#repositoryOptions}}<option value="{{value}}">{{label}}</option>{{/repositoryOptions}}</select>
        <label for="trust-key">Public key (armored or binary)</label>
        <input id="trust-key" type="file" name="key">
        <p><label><input type="checkbox" name="confirm" value="yes"> I confirm trusting this key for the repository</label></p>
        <button type="submit">Trust key</button>
      </form>
    </div>
    """

    static let signers = """
    {{> header}}
    {{#body}}
    <table class="signers">
    \(signerTableHead)
    <tbody>
    {{#signers}}
    \(signerRows)
    {{/signers}}
    </tbody>
    </table>
    {{^signers}}<p class="muted">No signer key is known.</p>{{/signers}}
    \(trustForm)
    {{/body}}
    {{> footer}}
    """

    static let signer = """
    {{> header}}
    {{#body}}
    {{#signer}}
    <table class="signers">
    \(signerTableHead)
    <tbody>
    \(signerRows)
    </tbody>
    </table>
    {{#hasSubkeys}}<h2>Subkeys</h2>
    <table><thead><tr><th>Fingerprint</th><th>Algorithm</th><th>Signs</th><th>Created</th><th>Expires</th><th>Revoked</th></tr></thead><tbody>
    {{#subkeys}}<tr><td class="mono">{{fingerprint}}</td><td>{{algorithm}}</td><td>{{canSign}}</td><td>{{created}}</td><td>{{expires}}</td><td>{{revoked}}</td></tr>{{/subkeys}}
    </tbody></table>{{/hasSubkeys}}
    {{/signer}}
    <h2>Charts signed by this key</h2>
    <table class="signed-charts">
      <thead><tr><th>Repository</th><th>Chart</th><th>Version</th><th>Signed</th><th>State</th></tr></thead>
      <tbody>
      {{#charts}}
      <tr data-chart="{{name}}" data-version="{{version}}"><td><code>{{repository}}</code></td><td>{{name}}</td><td>{{version}}</td><td>{{signedAt}}</td><td><span class="badge {{statusClass}}">{{status}}</span></td></tr>
      {{/charts}}
      </tbody>
    </table>
    {{^charts}}<p class="muted">No stored chart names this key as its signer.</p>{{/charts}}
    {{#hasTrustOptions}}
    <div class="card">
      <h2>Trust for a repository</h2>
      <p class="detail">Trusting a key quarantines no chart.</p>
      <form class="stack" method="post" action="/console/signers/{{signer.fingerprint}}/trust">
        <input type="hidden" name="csrf" value="{{trustKnownCSRF}}">
        <label for="trust-known-repo">Repository</label>
        <select id="trust-known-repo" name="repo">{{#trustOptions}}<option value="{{value}}">{{label}}</option>{{/trustOptions}}</select>
        <p><label><input type="checkbox" name="confirm" value="yes"> I confirm trusting this key for the repository</label></p>
        <button type="submit">Trust key</button>
      </form>
    </div>
    {{/hasTrustOptions}}
    {{#signer}}
    {{#hasRepositories}}
    <div class="card">
      <h2>Distrust for a repository</h2>
      <form class="stack" method="post" action="/console/signers/{{fingerprint}}/distrust">
        <input type="hidden" name="csrf" value="{{distrustCSRF}}">
        <label for="distrust-repo">Repository</label>
        <select id="distrust-repo" name="repo">{{#repositoryOptions}}<option value="{{value}}">{{label}}</option>{{/repositoryOptions}}</select>
        <p><label><input type="checkbox" name="quarantine" value="true"> also quarantine the charts it signed there that no longer pass</label></p>
        <button type="submit" class="danger">Review distrust…</button>
      </form>
    </div>
    {{/hasRepositories}}
    <div class="card">
      <h2>Upload a revocation certificate</h2>
      <form class="stack" method="post" action="/console/signers/{{fingerprint}}/revocation" enctype="multipart/form-data">
        <input type="hidden" name="csrf" value="{{revocationCSRF}}">
        <label for="revocation-file">Certificate file</label>
        <input id="revocation-file" type="file" name="certificate">
        <label for="revocation-text">or paste it (armored)</label>
        <textarea id="revocation-text" name="certificateText"></textarea>
        <p><button type="submit" class="danger">Review revocation…</button></p>
      </form>
    </div>
    {{/signer}}
    {{/body}}
    {{> footer}}
    """

    static let quarantine = """
    {{> header}}
    {{#body}}
    <table class="quarantine">
      <thead><tr><th>Repository</th><th>Chart</th><th>Version</th><th>Why</th><th>Since</th><th>Uploaded</th><th></th></tr></thead>
      <tbody>
      {{#charts}}
      <tr data-chart="{{name}}" data-version="{{version}}">
        <td><code>{{repository}}</code></td><td>{{name}}</td><td>{{version}}</td><td>{{reason}}</td><td>{{since}}</td>
        <td>{{uploader}}<div class="detail">{{created}}</div></td>
        <td><form class="inline" method="post" action="{{restoreAction}}">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <button type="submit" class="plain" name="confirm" value="yes">Restore</button></form></td>
      </tr>
      {{/charts}}
      </tbody>
    </table>
    {{^charts}}<p class="muted">Nothing is quarantined.</p>{{/charts}}
    {{/body}}
    {{> footer}}
    """

    static let audit = """
    {{> header}}
    {{#body}}
    <form class="filters" method="get" action="/console/audit">
      <label>Repository<select name="repo"><option value="">any</option>{{#repositoryOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/repositoryOptions}}</select></label>
      <label>Action<select name="action"><option value="">any</option>{{#actionOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/actionOptions}}</select></label>
      <label>Outcome<select name="outcome"><option value="">any</option>{{#outcomeOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/outcomeOptions}}</select></label>
      <label>Since (RFC 3339)<input type="text" name="since" value="{{since}}" placeholder="2026-11-22T00:00:00Z"></label>
      <button type="submit">Filter</button>
    </form>
    <table class="audit">
      <thead><tr><th>#</th><th>Time</th><th>Repository</th><th>Actor</th><th>Action</th><th>Outcome</th><th>Subject</th><th>What happened</th></tr></thead>
      <tbody>
      {{#events}}
      <tr data-id="{{id}}" data-action="{{action}}" data-outcome="{{outcome}}">
        <td class="detail">{{id}}</td><td>{{at}}</td><td><code>{{repository}}</code></td><td>{{actor}}</td><td>{{action}}</td>
        <td><span class="badge {{outcomeClass}}">{{outcome}}</span></td><td>{{subject}}</td>
        <td>{{#explanation}}<div>{{.}}</div>{{/explanation}}</td>
      </tr>
      {{/events}}
      </tbody>
    </table>
    {{^events}}<p class="muted">No event matches.</p>{{/events}}
    {{#next}}<p><a class="next" href="{{.}}">Older events →</a></p>{{/next}}
    {{/body}}
    {{> footer}}
    """

    static let confirm = """
    {{> header}}
    {{#body}}
    <div class="notice {{#hasCharts}}bad{{/hasCharts}}">
      <p>{{summary}}</p>
      {{#hasCharts}}<p><strong>These published charts will be quarantined</strong> (removed from index.yaml, downloads refused, bytes kept):</p>{{/hasCharts}}
      {{^charts}}<p><strong>No published chart will be quarantined.</strong></p>{{/charts}}
    </div>
    {{#hasCharts}}
    <table class="preview">
      <thead><tr><th>Repository</th><th>Chart</th><th>Version</th><th>Check that will fail</th></tr></thead>
      <tbody>{{#charts}}<tr data-chart="{{name}}" data-version="{{version}}"><td><code>{{repository}}</code></td><td>{{name}}</td><td>{{version}}</td><td class="detail">{{reason}}</td></tr>{{/charts}}</tbody>
    </table>
    {{/hasCharts}}
    <form method="post" action="{{action}}">
      <input type="hidden" name="csrf" value="{{csrf}}">
      {{#hidden}}<input type="hidden" name="{{name}}" value="{{value}}">{{/hidden}}
      <button type="submit" class="danger" name="confirm" value="yes">{{confirmLabel}}</button>
      <a href="{{cancel}}">Cancel</a>
    </form>
    {{/body}}
    {{> footer}}
    """

    static let result = """
    {{> header}}
    {{#body}}
    <div class="notice ok"><p>{{summary}}</p></div>
    {{#hasCharts}}
    <table class="quarantined">
      <thead><tr><th>Repository</th><th>Chart</th><th>Version</th><th>Reason</th></tr></thead>
      <tbody>{{#charts}}<tr data-chart="{{name}}" data-version="{{version}}"><td><code>{{repository}}</code></td><td>{{name}}</td><td>{{version}}</td><td class="detail">{{reason}}</td></tr>{{/charts}}</tbody>
    </table>
    {{/hasCharts}}
    <p><a href="{{back}}">Back</a></p>
    {{/body}}
    {{> footer}}
    """

    static let error = """
    {{> header}}
    {{#body}}
    <div class="notice bad"><p>{{message}}</p></div>
    {{/body}}
    {{> footer}}
    """
}
