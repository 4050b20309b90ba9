{{- define "pkgproxy.env" -}}
- name: PROXY_LISTEN
  value: "0.0.0.0:8080"
- name: PROXY_BASE_URL
  value: {{ .Values.baseUrl | quote }}
- name: PROXY_DATABASE_URL
  value: {{ .Values.databaseUrl | quote }}
- name: PROXY_STORAGE_URL
  value: {{ .Values.storageUrl | quote }}
- name: PROXY_REDIS_URL
  value: {{ .Values.redisUrl | quote }}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{- define "pkgproxy.envFrom" -}}
{{- if .Values.existingSecret }}
envFrom:
  - secretRef:
      name: {{ .Values.existingSecret }}
{{- end }}
{{- end -}}
