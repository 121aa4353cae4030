// Package safety checks the text people type before others can see it
// (titles, descriptions, prize names, greetings, nicknames), with WeChat's text
// security check (msgSecCheck v2) behind a small Checker interface.
//
// A Guard asks the Checker about every non-empty field of one write, before
// the write's transaction (an outside call is never made inside it), with a
// short timeout and a small bounded cache of recent verdicts. Risky text is
// refused with a 400 naming the field; "review" text follows OnReview; a
// failing check (timeout, HTTP error, non-zero errcode) follows OnFailure:
// refuse (503) or allow, returning Flags the caller records for the admin
// once the write has succeeded.
package safety
