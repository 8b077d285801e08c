package state

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Jobs one at a time, for a store that keeps a row per instance rather than one document (the
// pg backend; records go through MarshalRecord and UnmarshalRecord). The JSON is a job's object
// in the state file, without its address (the row's key), and is checked as the file's entries
// are.

// MarshalJob encodes j as the state file writes it under its address.
func MarshalJob(j *Job) ([]byte, error) {
	if why := checkJob(j); why != "" {
		return nil, fmt.Errorf("job %s %s", j.Addr, why)
	}
	return marshalCompact(jobToDisk(j))
}

// UnmarshalJob decodes a job of address addr written by MarshalJob.
func UnmarshalJob(addr string, data []byte) (*Job, error) {
	var d diskJob
	if err := unmarshalStrict(data, &d); err != nil {
		return nil, fmt.Errorf("job %s: %w", addr, err)
	}
	j, why := jobFromDisk(addr, &d)
	if why != "" {
		return nil, fmt.Errorf("job %s %s", addr, why)
	}
	return j, nil
}

func marshalCompact(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func unmarshalStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("more than one JSON value")
	}
	return nil
}
