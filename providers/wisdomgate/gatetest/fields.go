package gatetest

import "strings"

// shape is what the documents allow in a JSON object: its keys, each with the shape of the
// object it holds (or of every object in the array it holds). A key whose shape is nil takes
// any value.
type shape map[string]shape

// unknown appends the paths of the keys in v that sh does not allow.
func (sh shape) unknown(v any, path string, bad []string) []string {
	if sh == nil {
		return bad
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			sub, ok := sh[k]
			if !ok {
				bad = append(bad, path+k)
				continue
			}
			bad = sub.unknown(e, path+k+".", bad)
		}
	case []any:
		for _, e := range x {
			bad = sh.unknown(e, path, bad)
		}
	}
	return bad
}

// keys makes a shape of keys that take any value.
func keys(names ...string) shape {
	sh := shape{}
	for _, n := range names {
		sh[n] = nil
	}
	return sh
}

// with adds keys with their own shapes.
func (sh shape) with(nested map[string]shape) shape {
	for k, v := range nested {
		sh[k] = v
	}
	return sh
}

// protoJSON adds the snake_case spelling of every camelCase key, recursively: proto3 JSON
// parsers (the Gemini API) accept both on input.
func protoJSON(sh shape) shape {
	if sh == nil {
		return nil
	}
	out := shape{}
	for k, v := range sh {
		v = protoJSON(v)
		out[k] = v
		out[snake(k)] = v
	}
	return out
}

func snake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// The request fields each endpoint's documents define. Where the documents disagree (see
// ../shared/api/README.md in the project's design notes), every variant is here.
var (
	// POST /v1/chat/completions: OpenAI's CreateChatCompletionRequest, plus the gateway's
	// image_config, safety settings and the extra_body form other gateways use (000, WIRE §2).
	chatShape = keys(
		"model", "modalities", "verbosity", "reasoning_effort", "max_completion_tokens",
		"frequency_penalty", "presence_penalty", "web_search_options", "top_logprobs",
		"response_format", "audio", "store", "stream", "stop", "logit_bias", "logprobs",
		"max_tokens", "n", "prediction", "seed", "stream_options", "tools", "tool_choice",
		"parallel_tool_calls", "function_call", "functions", "metadata", "temperature", "top_p",
		"user", "safety_identifier", "prompt_cache_key", "prompt_cache_retention", "service_tier",
		"enable_safety_checker", "safety_settings", "extra_body",
	).with(map[string]shape{
		"messages": keys("role", "name", "tool_calls", "tool_call_id", "refusal", "audio", "function_call").with(map[string]shape{
			// a string, or an array of parts
			"content": keys("type", "text", "input_audio", "file", "refusal").with(map[string]shape{
				"image_url": keys("url", "detail"),
			}),
		}),
		"image_config": keys("aspect_ratio", "image_size"),
	})

	// POST /v1beta/models/{model}:generateContent: GenerateContentRequest (004, WIRE §6), in
	// camelCase and snake_case.
	geminiContent = keys("role").with(map[string]shape{
		"parts": keys("text", "functionCall", "functionResponse", "executableCode", "codeExecutionResult",
			"thought", "thoughtSignature", "videoMetadata", "partMetadata").with(map[string]shape{
			"inlineData": keys("mimeType", "data", "displayName"),
			"fileData":   keys("mimeType", "fileUri", "displayName"),
		}),
	})
	geminiShape = protoJSON(keys("tools", "toolConfig", "safetySettings", "cachedContent").with(map[string]shape{
		"contents":          geminiContent,
		"systemInstruction": geminiContent,
		"generationConfig": keys("stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema",
			"responseModalities", "candidateCount", "maxOutputTokens", "temperature", "topP", "topK", "seed",
			"presencePenalty", "frequencyPenalty", "responseLogprobs", "logprobs", "enableEnhancedCivicAnswers",
			"speechConfig", "thinkingConfig", "mediaResolution").with(map[string]shape{
			"imageConfig": keys("aspectRatio", "imageSize"),
		}),
	}))

	// POST /v1/images/generations: CreateImageRequest (002, WIRE §3).
	imagesShape = keys("model", "prompt", "n", "size", "quality", "response_format", "output_format",
		"output_compression", "background", "moderation", "style", "stream", "partial_images", "user")

	// POST /v1/images/edits: CreateImageEditRequest, the form (WIRE §4).
	editFields = keys("image", "image[]", "mask", "model", "prompt", "n", "size", "quality",
		"response_format", "output_format", "output_compression", "background", "input_fidelity",
		"stream", "partial_images", "user")

	// POST /v1/videos: 001's model, prompt, seconds, size, input_reference, and 000's image,
	// fps, width, height, motion_strength, camera_motion.
	videoFields = keys("model", "prompt", "seconds", "size", "input_reference",
		"image", "fps", "width", "height", "motion_strength", "camera_motion")

	jsonFields = map[Endpoint]shape{
		Chat:              chatShape,
		Gemini:            geminiShape,
		ImagesGenerations: imagesShape,
		// the JSON variant of edits: images and mask as {image_url} or {file_id}
		ImagesEdits: keys("model", "prompt", "n", "size", "quality", "response_format", "output_format",
			"output_compression", "background", "input_fidelity", "stream", "partial_images", "user").with(map[string]shape{
			"images": keys("image_url", "file_id"),
			"mask":   keys("image_url", "file_id"),
		}),
		VideosCreate: keys("model", "prompt", "seconds", "size", "image", "fps", "width", "height",
			"motion_strength", "camera_motion").with(map[string]shape{
			"input_reference": keys("image_url", "file_id"),
		}),
	}

	formFields = map[Endpoint]shape{
		ImagesEdits:  editFields,
		VideosCreate: videoFields,
	}
)
