"""Documents: what a case needs on paper, and the letters an office issues for it.

Owns the `documents` schema and two kinds of streams in the event store:

- `checklist-<case_id>`: documents front office checked (`DocumentReceived`) and the
  moment the variant's list is complete (`RequirementsCompleted`);
- `letter-<letter_id>`: a letter's draft, its approval chain and its signature
  (`LetterDrafted`, `LetterReviewed`, `LetterReturned`, `LetterApproved`, `LetterSigned`).

It takes in `ComplaintRegistered` (to build the checklist from the catalogue) and
`DtksVerified` / `DtksNotFound` (a letter for a service that requires DTKS listing cannot
be drafted without it).
"""
