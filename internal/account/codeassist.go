package account

import "strings"

// GoogleTokenURL is Google's OAuth token endpoint, the default token_url of
// a codeassist account.
const GoogleTokenURL = "https://oauth2.googleapis.com/token"

// codeAssistFamily is the allow-list a codeassist account without models
// gets: the Gemini family, as a gemini account serves it.
var codeAssistFamily = []string{"gemini-*"}

// codeAssist checks the fields particular to a codeassist account: it needs
// oauth (Code Assist takes no API key), may name its project, and serves the
// Gemini family unless it has an allow-list. Other providers must not set
// project.
func (e *entry) codeAssist(a *Account, r *rawAccount) {
	project, ok := e.str("project", r.Project)
	if !ok {
		return
	}
	project = strings.TrimSpace(project)
	if a.Provider != CodeAssist {
		if project != "" {
			e.addf("project", "only a codeassist account has a project")
		}
		return
	}
	if project != "" && !printableASCII(project) {
		e.addf("project", "must be printable ASCII without spaces")
	}
	a.Project = project
	a.TierAuto = strings.TrimSpace(r.Tier) == ""
	if a.OAuth == nil && a.APIKey != "" {
		e.addf("api_key", "a codeassist account signs in with oauth, not an api_key")
	}
	if len(r.Models) == 0 {
		a.Models = append([]string(nil), codeAssistFamily...)
	}
}
