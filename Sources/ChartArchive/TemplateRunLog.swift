/// What the scanner's own pass over a chart saw that Helm would run: a `tpl` of text that is not
/// purely installer input (a literal, `.Files.Get`, a define, an author default) may `set`
/// anything into `.Values`, as a `set` does (`TemplateScope.valuesMutable`). Shared by reference
/// so every scope of a pass writes to one log.
final class TemplateRunLog {
    var runsAuthorTemplate = false
}
