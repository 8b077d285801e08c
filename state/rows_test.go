package state

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// A record and a job survive a row's round trip unchanged; a broken one is refused both ways.
func TestRowsRoundTrip(t *testing.T) {
	f := bigState(1)
	r := f.Records["image.tile[0]"]
	data, err := MarshalRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalRecord(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Errorf("record changed:\n%#v\n%#v", back, r)
	}
	j := &Job{Addr: "video.teaser", InputHash: strings.Repeat("a", 64), Provider: "wisdomgate", JobID: "task_1",
		StartedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	data, err = MarshalJob(j)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := UnmarshalJob(j.Addr, data)
	if err != nil || !reflect.DeepEqual(jb, j) {
		t.Errorf("job changed: %#v, %v", jb, err)
	}

	bad := *r
	bad.InputHash = "xyz"
	if _, err := MarshalRecord(&bad); err == nil {
		t.Error("a record with a bad input hash was encoded")
	}
	if _, err := UnmarshalRecord([]byte(`{"addr":"image.a","kind":"image","input_hash":"xyz","provider":"p"}`)); err == nil {
		t.Error("a record with a bad input hash was decoded")
	}
	if _, err := UnmarshalJob(j.Addr, []byte(`{"job_id":"x","bogus":1}`)); err == nil {
		t.Error("a job with an unknown field was decoded")
	}
}
