package lottery

// Validate checks in as Create does, without saving anything, and returns
// it normalised (the text Create would store). The HTTP layer calls it before
// the content safety check, so invalid input is a 400 before any outside call.
func (s *Service) Validate(in CreateInput) (CreateInput, error) {
	in.Prizes = append([]Prize(nil), in.Prizes...)
	err := in.validate(s.opts.Now().UTC())
	return in, err
}
